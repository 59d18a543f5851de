import Foundation
import NIOConcurrencyHelpers
import SQLKit
import Testing

@testable import Tessera

/// `tessera db copy`: a seeded SQLite installation moves to a new database (PostgreSQL when
/// TESSERA_TEST_POSTGRES_URL is set, SQLite always) with exactly its rows; tokens, sessions and
/// passwords keep working there and ids continue; a target with data is refused unless forced.
@Suite("database copy")
struct DatabaseCopyTests {
    @Test(arguments: Engine.available)
    func copiesEverything(_ engine: Engine) async throws {
        try await Harness.with(.sqlite) { (h: Harness) async throws in
            let seeded = try await Seeded.make(h)
            let before = try await contents(h.database)
            let target = try await EmptyDatabase.make(engine)
            let events = NIOLockedValueBox<[DatabaseCopy.Progress]>([])
            do {
                let summary = try await DatabaseCopy.copy(from: h.database, to: target.database, batchSize: 100) { p in
                    events.withLockedValue { $0.append(p) }
                }

                // Every row of every table, NULLs and hashes included; the counts in the summary.
                expectSame(try await contents(target.database), before)
                for table in DatabaseCopy.tables {
                    #expect(!(before[table.name] ?? []).isEmpty, "\(table.name) should have been seeded")
                }
                #expect(summary.rows.map(\.table) == DatabaseCopy.tables.map(\.name))
                #expect(summary.rows.map(\.count) == DatabaseCopy.tables.map { before[$0.name]!.count })
                #expect(summary.rows.first { $0.table == "token" }?.count == seeded.tokenCount)

                // Progress: per table a start at 0, a step per full batch, and a finished event with all rows.
                let progress = events.withLockedValue { $0 }
                for (table, count) in summary.rows {
                    let mine = progress.filter { $0.table == table }
                    #expect(mine.first == DatabaseCopy.Progress(table: table, done: 0, total: count, finished: false), "\(table)")
                    #expect(mine.last == DatabaseCopy.Progress(table: table, done: count, total: count, finished: true), "\(table)")
                    #expect(mine.filter(\.finished).count == 1, "\(table)")
                }
                #expect(progress.filter { $0.table == "token" }.map(\.done) == [0, 100, 200, seeded.tokenCount])
                let order = progress.map(\.table).enumerated().filter { $0.offset == 0 || progress[$0.offset - 1].table != $0.element }.map(\.element)
                #expect(order == DatabaseCopy.tables.map(\.name))

                try await checkServices(on: target.database, source: h, seeded: seeded, before: before)
                await target.cleanup()
            } catch {
                await target.cleanup()
                throw error
            }
        }
    }

    /// A target made by `tessera serve` (shipped users, its own Admin password) is not overwritten without force.
    @Test(arguments: Engine.available)
    func refusesTargetWithUsers(_ engine: Engine) async throws {
        try await Harness.with(.sqlite) { (h: Harness) async throws in
            _ = try await Seeded.make(h)
            try await Harness.with(engine, adminPassword: "Other-Passw0rd!") { (t: Harness) async throws in
                let before = try await contents(t.database)
                let refused = await #expect(throws: DatabaseCopyError.self) {
                    try await DatabaseCopy.copy(from: h.database, to: t.database)
                }
                #expect(refused == .targetNotEmpty(users: 2, tokens: 0))
                #expect(refused?.description.contains("Use --force") == true)
                expectSame(try await contents(t.database), before)
                _ = try await t.login("Admin", "Other-Passw0rd!")

                // Forced, it gets the source's rows (and the source's Admin password).
                _ = try await DatabaseCopy.copy(from: h.database, to: t.database, force: true)
                expectSame(try await contents(t.database), try await contents(h.database))
                _ = try await t.login()
            }
        }
    }

    /// All or nothing: a row PostgreSQL rejects (SQLite does not enforce varchar lengths) fails the copy,
    /// naming the table and the server's reason, and leaves the target without even the schema.
    @Test(.enabled(if: Engine.available.contains(.postgres), "needs TESSERA_TEST_POSTGRES_URL"))
    func rollsBackOnError() async throws {
        try await Harness.with(.sqlite) { (h: Harness) async throws in
            let s = try await h.login()
            _ = try await h.token("fine", auth: s)
            try await h.database.transaction { db in
                try await db.raw("UPDATE token SET name = \(bind: String(repeating: "x", count: 65)) WHERE tokenid = 1").run()
            }
            let target = try await EmptyDatabase.make(.postgres)
            let failed = await #expect(throws: DatabaseCopyError.self) {
                try await DatabaseCopy.copy(from: h.database, to: target.database)
            }
            #expect(failed == .failed("copying table token", "value too long for type character varying(64)"))
            #expect(failed?.description.hasSuffix("the target database was not changed") == true)
            let tables = try await target.database.read { db in
                try await db.raw("SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = 'public'").first()!
                    .decode(column: "n", as: Int.self)
            }
            #expect(tables == 0)
            await target.cleanup()
        }
    }

    /// A copy moves rows and does not upgrade them: a source at another schema version is refused.
    @Test func refusesOtherSchemaVersion() async throws {
        try await Harness.with(.sqlite) { (h: Harness) async throws in
            let latest = Schema.latestVersion
            try await h.database.transaction { db in try await db.raw("DELETE FROM schema_version WHERE version = \(bind: latest)").run() }
            let target = try await EmptyDatabase.make(.sqlite)
            let refused = await #expect(throws: DatabaseCopyError.self) {
                try await DatabaseCopy.copy(from: h.database, to: target.database)
            }
            #expect(refused == .schemaMismatch(side: "source", found: latest - 1, expected: latest))
            // Nothing was created in the target: the migrations are part of the rolled back transaction.
            let tables = try await target.database.read { db in
                try await db.raw("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table'").first()!.decode(column: "n", as: Int.self)
            }
            #expect(tables == 0)
            await target.cleanup()
        }
    }

    @Test func missingOrUnusableSource() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-copy-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }

        let missing = dir + "/nothing/tessera.sqlite"
        let error = await #expect(throws: DatabaseCopyError.self) { try await DatabaseCopy.openSource(path: missing, logger: Harness.logger) }
        #expect(error == .sourceMissing(missing))
        #expect(error?.description == "source database \(missing) does not exist")
        #expect(!FileManager.default.fileExists(atPath: missing))

        let folder = await #expect(throws: DatabaseCopyError.self) { try await DatabaseCopy.openSource(path: dir, logger: Harness.logger) }
        #expect(folder == .sourceUnusable(dir, "it is a folder, not a file"))

        let text = dir + "/notes.txt"
        try Data("not a database, just some text that is long enough to have a header\n".utf8).write(to: URL(fileURLWithPath: text))
        let unusable = await #expect(throws: DatabaseCopyError.self) { try await DatabaseCopy.openSource(path: text, logger: Harness.logger) }
        #expect(unusable?.description.hasPrefix("cannot read source database \(text): not a Tessera database") == true)
    }

    /// The source is opened read-only: reads work, writes fail, and the file's rows stay as they were.
    @Test func sourceIsReadOnly() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-copy-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/tessera.sqlite"
        let store = try await SQLiteStore.open(path: path, logger: Harness.logger)
        try await Bootstrap.run(store, adminPassword: Harness.adminPassword, logger: Harness.logger)
        await store.close()

        let source = try await DatabaseCopy.openSource(path: path, logger: Harness.logger)
        let users = try await source.read { db in try await db.raw("SELECT COUNT(*) AS n FROM users").first()!.decode(column: "n", as: Int.self) }
        #expect(users == 2)
        await #expect(throws: (any Error).self) {
            try await source.read { db in try await db.raw("DELETE FROM users WHERE userid = 2").run() }
        }
        await #expect(throws: (any Error).self) { try await source.transaction { _ in } }
        #expect(try await source.read { db in try await db.raw("SELECT COUNT(*) AS n FROM users").first()!.decode(column: "n", as: Int.self) } == 2)
        await source.close()
    }

    // MARK: - Checks on the copy

    /// Services on the copy: old token values and sessions authenticate, the password logs in, ids
    /// continue, a second copy is refused without changing anything, and a forced one replaces it all.
    private func checkServices(on target: any Database, source h: Harness, seeded: Seeded, before: [String: [[String]]]) async throws {
        let services = Services(database: target, clock: h.clock.unixTime, logger: Harness.logger)
        let endpoint = JSONRPCEndpoint(services: services, logger: Harness.logger)
        do {
            func call(_ method: String, _ params: JSON, auth: String? = nil) async throws -> JSON {
                var request: JSONObject = ["jsonrpc": "2.0", "method": .string(method), "params": params]
                if let auth { request["auth"] = .string(auth) }
                request["id"] = 1
                let reply = await endpoint.respond(to: JSON.object(request).encodedBytes(), bearer: nil, ip: "127.0.0.1")
                return try JSONParser.parse(reply ?? Array("null".utf8))
            }
            for token in seeded.tokens {
                let answer = try await call("user.checkAuthentication", ["token": .string(token.value)])
                #expect(answer == (try await h.call("user.checkAuthentication", ["token": .string(token.value)])), "\(token.name)")
                if token.enabled {
                    #expect(answer["result"]?["userid"] == .string(token.userid), "\(token.name)")
                } else {
                    #expect(answer["error"] != nil, "\(token.name)")
                }
            }
            #expect(try await call("token.get", ["countOutput": true], auth: seeded.tokens[0].value)["result"] == .string(String(seeded.tokenCount)))
            #expect(try await call("token.get", ["output": ["name"]], auth: seeded.aliceSession)["result"]?.arrayValue?.isEmpty == false)
            let session = try await call("user.login", ["username": "Admin", "password": .string(Harness.adminPassword)])["result"]!.stringValue!

            // Ids continue where the source stopped.
            let next = before["ids"]!.first { $0[0] == "token" }![2]
            #expect(try await call("token.create", ["name": "after the move"], auth: session)["result"] == ["tokenids": [.string(next)]])
            let nextUser = before["ids"]!.first { $0[0] == "users" }![2]
            let created = try await call(
                "user.create",
                [
                    "username": "carol", "passwd": "Str0ng-Passw0rd!", "roleid": "1", "usrgrps": [["usrgrpid": "7"]],
                ],
                auth: session
            )
            #expect(created["result"] == ["userids": [.string(nextUser)]])
            // Written before the shutdown: stopping the timer in the middle of its write can leave the SQLite writer in a transaction.
            await services.lastAccess.flush()
            await services.shutdown()
        } catch {
            await services.shutdown()
            throw error
        }

        // A second copy is refused and changes nothing.
        await h.services.lastAccess.flush()
        let changed = try await contents(target)
        let refused = await #expect(throws: DatabaseCopyError.self) { try await DatabaseCopy.copy(from: h.database, to: target) }
        #expect(refused == .targetNotEmpty(users: seeded.userCount + 1, tokens: seeded.tokenCount + 1))
        expectSame(try await contents(target), changed)

        // Forced, the target holds exactly the source's rows again.
        let summary = try await DatabaseCopy.copy(from: h.database, to: target, force: true, batchSize: 7)
        let source = try await contents(h.database)
        expectSame(try await contents(target), source)
        #expect(summary.totalRows == source.values.reduce(0) { $0 + $1.count })
    }
}

// MARK: - Fixtures

/// What `Seeded.make` put into a source database.
private struct Seeded {
    struct Token {
        let name: String
        let value: String
        let userid: String
        let enabled: Bool
    }

    let tokens: [Token]
    let tokenCount: Int
    let userCount: Int
    let aliceSession: String

    /// A role, a group, users, sessions, a failed login, tokens (one used, one disabled, one expiring
    /// later), a profile value, bulk tokens for several batches, and the audit records of all that.
    static func make(_ h: Harness) async throws -> Seeded {
        let s = try await h.login()
        let roleid = try await h.result(
            "role.create",
            [
                "name": "Copied role", "type": 1, "rules": ["api.access": 1, "actions": [["name": "manage_api_tokens", "status": 1]]],
            ],
            auth: s
        )["roleids"]!.arrayValue![0].stringValue!
        let groupid = try await h.result("usergroup.create", ["name": "Copied group"], auth: s)["usrgrpids"]!.arrayValue![0].stringValue!
        let alice = try await h.user("alice", roleid: roleid, groups: [groupid], auth: s)
        let bob = try await h.user("bob", roleid: "2", groups: [groupid, "7"], auth: s)
        let aliceSession = try await h.login("alice", "Str0ng-Passw0rd!")
        _ = try await h.call("user.login", ["username": "bob", "password": "wrong"])

        var tokens: [Token] = []
        let admin = try await h.token("admin-ci", auth: s, extra: ["description": "for CI"])
        tokens.append(Token(name: "admin-ci", value: admin.value, userid: "1", enabled: true))
        let own = try await h.token("alice-own", auth: aliceSession, extra: ["expires_at": .int(h.clock.now + 86_400)])
        tokens.append(Token(name: "alice-own", value: own.value, userid: alice, enabled: true))
        let bobs = try await h.token("bob-by-admin", auth: s, extra: ["userid": .string(bob)])
        tokens.append(Token(name: "bob-by-admin", value: bobs.value, userid: bob, enabled: true))
        let off = try await h.token("disabled", auth: s, extra: ["status": 1])
        tokens.append(Token(name: "disabled", value: off.value, userid: "1", enabled: false))
        // A use of a token: its lastaccess is written before the copy.
        _ = try await h.result("token.get", ["countOutput": true], auth: admin.value)
        await h.services.lastAccess.flush()

        try await h.database.transaction { db in
            try await ProfileRepository.store(db, userid: UserID(1), ["web.tokens.sort": "name", "web.tokens.page": "2"])
        }
        let bulk = try await BulkSeeder.seed(h.database, count: 246, userid: alice, prefix: "bulk", now: h.clock.now)
        return Seeded(tokens: tokens, tokenCount: tokens.count + bulk, userCount: 4, aliceSession: aliceSession)
    }
}

/// A database without any table, on `engine`; `cleanup()` closes (and drops) it.
private struct EmptyDatabase {
    let database: any Database
    let cleanup: @Sendable () async -> Void

    static func make(_ engine: Engine) async throws -> EmptyDatabase {
        switch engine {
        case .sqlite:
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-copy-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let database = try await SQLiteStore.open(path: dir + "/tessera.sqlite", logger: Harness.logger)
            return EmptyDatabase(database: database) {
                await database.close()
                try? FileManager.default.removeItem(atPath: dir)
            }
        case .postgres:
            let base = ProcessInfo.processInfo.environment["TESSERA_TEST_POSTGRES_URL"]!
            let name = "c_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            let admin = try PostgresStore.connect(url: base, maximumConnections: 1, logger: Harness.logger)
            try await admin.read { db in try await db.raw("CREATE DATABASE \(unsafeRaw: name)").run() }
            let url = String(base[..<base.lastIndex(of: "/")!]) + "/" + name
            let database = try PostgresStore.connect(url: url, maximumConnections: 3, logger: Harness.logger)
            return EmptyDatabase(database: database) {
                await database.close()
                try? await admin.read { db in try await db.raw("DROP DATABASE IF EXISTS \(unsafeRaw: name)").run() }
                await admin.close()
            }
        }
    }
}

/// Both hold the same rows; a difference is reported as the rows missing and the rows in excess, per table.
private func expectSame(_ actual: [String: [[String]]], _ expected: [String: [[String]]], sourceLocation: SourceLocation = #_sourceLocation) {
    for table in Set(actual.keys).union(expected.keys).sorted() {
        let have = Set(actual[table] ?? [])
        let want = Set(expected[table] ?? [])
        let missing = want.subtracting(have).sorted { $0.lexicographicallyPrecedes($1) }
        let extra = have.subtracting(want).sorted { $0.lexicographicallyPrecedes($1) }
        #expect(
            missing.isEmpty && extra.isEmpty,
            "\(table): \(missing.count) rows missing \(missing.prefix(3)), \(extra.count) extra \(extra.prefix(3))",
            sourceLocation: sourceLocation
        )
        #expect(actual[table]?.count == expected[table]?.count, "\(table)", sourceLocation: sourceLocation)
    }
}

/// Every row of every copied table as strings (NULL as "NULL"), sorted, so that two engines compare equal.
private func contents(_ database: any Database) async throws -> [String: [[String]]] {
    try await database.read { db in
        var result: [String: [[String]]] = [:]
        for table in DatabaseCopy.tables {
            let rows = try await db.raw("SELECT \(idents: table.columnNames, joinedBy: ", ") FROM \(ident: table.name)").all()
            result[table.name] = try rows.map { row in
                try table.columns.map { column in
                    column.kind.isNumeric
                        ? try row.decode(column: column.name, as: Int64?.self).map { String($0) } ?? "NULL"
                        : try row.decode(column: column.name, as: String?.self) ?? "NULL"
                }
            }.sorted { $0.lexicographicallyPrecedes($1) }
        }
        return result
    }
}
