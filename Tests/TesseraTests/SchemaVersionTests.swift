import Foundation
import SQLKit
import Testing

@testable import Tessera

/// A database migrated by a newer Tessera is refused by everything that opens it (the start's
/// migrations, the commands' check, a copy into it), naming both versions, and is left unchanged.
@Suite("schema version")
struct SchemaVersionTests {
    @Test(arguments: Engine.available)
    func newerSchemaIsRefusedAndLeftAlone(engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let latest = Schema.latestVersion
            try await h.database.transaction { db in
                try await db.raw("INSERT INTO schema_version (version, applied_at) VALUES (\(bind: latest + 1), 0)").run()
            }
            let before = try await snapshot(h.database)
            let expected = SchemaTooNew(found: latest + 1, supported: latest)
            #expect(
                expected.description
                    == "the database is at schema version \(latest + 1), newer than this tessera (version \(latest)): use a newer tessera"
            )
            let migrating = await #expect(throws: SchemaTooNew.self) {
                try await Bootstrap.run(h.database, adminPassword: "Another-pw-1", logger: Harness.logger)
            }
            #expect(migrating == expected)
            let checking = await #expect(throws: SchemaTooNew.self) { try await Schema.requireCurrent(h.database) }
            #expect(checking == expected)
            #expect(try await snapshot(h.database) == before)
        }
    }

    /// A copy into a newer database is refused as a copy's own error, before anything is written.
    @Test func copyRefusesNewerTarget() async throws {
        try await Harness.with(.sqlite) { (source: Harness) async throws in
            try await Harness.with(.sqlite) { (target: Harness) async throws in
                let latest = Schema.latestVersion
                try await target.database.transaction { db in
                    try await db.raw("INSERT INTO schema_version (version, applied_at) VALUES (\(bind: latest + 1), 0)").run()
                }
                let before = try await snapshot(target.database)
                let refused = await #expect(throws: DatabaseCopyError.self) {
                    try await DatabaseCopy.copy(from: source.database, to: target.database, force: true)
                }
                #expect(refused == .schemaMismatch(side: "target", found: latest + 1, expected: latest))
                #expect(try await snapshot(target.database) == before)
            }
        }
    }

    /// The schema versions and the users with their password hashes: what a migration or a first
    /// start would change.
    private func snapshot(_ database: any Database) async throws -> [String] {
        try await database.read { db in
            let versions = try await db.raw("SELECT version FROM schema_version ORDER BY version").all()
                .map { "v\(try $0.decode(column: "version", as: Int.self))" }
            let users = try await db.raw("SELECT userid, passwd FROM users ORDER BY userid").all()
                .map { "\(try $0.decode(column: "userid", as: Int64.self)):\(try $0.decode(column: "passwd", as: String.self))" }
            return versions + users
        }
    }
}
