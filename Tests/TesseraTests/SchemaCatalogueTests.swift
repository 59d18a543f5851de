import SQLKit
import Testing

@testable import Tessera

/// The schema catalogue is what the migrations create: every table and every column, each of the kind
/// the catalogue says (numeric or text), on both engines. The copy and the API columns derive from it.
@Suite("schema catalogue")
struct SchemaCatalogueTests {
    @Test(arguments: Engine.available)
    func catalogueIsTheMigratedSchema(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let schema = try await h.database.read { db in try await Self.columns(db, engine) }
            #expect(Set(schema.keys) == Set(SchemaCatalogue.all.map(\.name)))
            for table in SchemaCatalogue.all {
                let declared = schema[table.name] ?? [:]
                #expect(Set(declared.keys) == Set(table.columns.map(\.name)), "\(table.name)")
                for column in table.columns {
                    #expect(declared[column.name]?.contains("int") == column.kind.isNumeric, "\(table.name).\(column.name)")
                }
            }
            // The copy takes every table but the change log; the API never reads a secret column.
            #expect(DatabaseCopy.tables.map(\.name) == SchemaCatalogue.all.filter { $0.name != "changelog" }.map(\.name))
            #expect(!TokenRepository.table.columnNames.contains("token") && !UserRepository.table.columnNames.contains("passwd"))
        }
    }

    /// `user.login`'s and `user.checkAuthentication`'s user object lists the `users` columns as the
    /// catalogue does (the typed account prints them itself), with what `user.get` prints for each.
    @Test(arguments: Engine.available)
    func accountPrintsTheUsersColumnsAsTheAPIDoes(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let account = try #require(try await h.database.read { db in try await UserRepository.account(db, id: UserID(1)) })
            #expect(account.apiColumns.map(\.key) == UserRepository.table.columnNames)
            let listed = try await h.result("user.get", ["userids": "1", "output": "extend"], auth: try await h.login())
            #expect(listed == [.object(JSONObject(account.apiColumns.map { ($0.key, JSON.string($0.value)) }))])
        }
    }

    /// Each table's columns and their declared types, lowercased.
    static func columns(_ db: any SQLDatabase, _ engine: Engine) async throws -> [String: [String: String]] {
        var columns: [String: [String: String]] = [:]
        switch engine {
        case .sqlite:
            let tables = try await db.raw("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all()
            for table in try tables.map({ try $0.decode(column: "name", as: String.self) }) {
                var found: [String: String] = [:]
                for row in try await db.raw("SELECT name, type FROM pragma_table_info(\(bind: table))").all() {
                    found[try row.decode(column: "name", as: String.self)] = try row.decode(column: "type", as: String.self).lowercased()
                }
                columns[table] = found
            }
        case .postgres:
            let rows = try await db.raw(
                "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema()"
            ).all()
            for row in rows {
                let table = try row.decode(column: "table_name", as: String.self)
                columns[table, default: [:]][try row.decode(column: "column_name", as: String.self)] =
                    try row.decode(column: "data_type", as: String.self).lowercased()
            }
        }
        return columns
    }
}
