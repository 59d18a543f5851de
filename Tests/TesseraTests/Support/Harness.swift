import Foundation
import HummingbirdBcrypt
import Logging
import NIOConcurrencyHelpers
import Testing

@testable import Tessera

/// The database engines the API suite runs on: SQLite always, PostgreSQL when the test script
/// provides a throwaway cluster in `TESSERA_TEST_POSTGRES_URL`.
enum Engine: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    static var available: [Engine] {
        ProcessInfo.processInfo.environment["TESSERA_TEST_POSTGRES_URL"] == nil ? [.sqlite] : [.sqlite, .postgres]
    }

    var testDescription: String { rawValue }
}

/// A settable clock, so that expiry "at this second" is tested exactly.
final class ManualClock: Sendable {
    private let value = NIOLockedValueBox<Int64>(1_800_000_000)
    var now: Int64 { value.withLockedValue { $0 } }
    func set(_ time: Int64) { value.withLockedValue { $0 = time } }
    func advance(_ seconds: Int64) { value.withLockedValue { $0 += seconds } }
    var unixTime: UnixTime { UnixTime { [self] in self.now } }
}

/// A fresh database with the shipped data, the services over it and the JSON-RPC endpoint.
final class Harness: Sendable {
    static let adminPassword = "Adm1n-Secret!"
    static let logger = Logger(label: "tessera-tests")

    let engine: Engine
    let database: any Database
    let services: Services
    let endpoint: JSONRPCEndpoint
    let clock: ManualClock
    private let closeDatabase: @Sendable () async -> Void

    private init(engine: Engine, database: any Database, clock: ManualClock, apiVersion: String, cleanup: @escaping @Sendable () async -> Void) {
        self.engine = engine
        self.database = database
        self.clock = clock
        self.services = Services(database: database, clock: clock.unixTime, apiVersion: apiVersion, logger: Self.logger)
        self.endpoint = JSONRPCEndpoint(services: services, logger: Self.logger)
        self.closeDatabase = cleanup
    }

    /// Flushes what the services hold in memory, then closes and drops the database.
    func cleanup() async {
        await services.shutdown()
        await closeDatabase()
    }

    static func make(_ engine: Engine, apiVersion: String = "7.0.0", adminPassword: String = Harness.adminPassword) async throws -> Harness {
        let clock = ManualClock()
        switch engine {
        case .sqlite:
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-test-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let database = try await SQLiteStore.open(path: dir + "/tessera.sqlite", logger: logger)
            try await bootstrap(database, adminPassword: adminPassword)
            return Harness(engine: engine, database: database, clock: clock, apiVersion: apiVersion) {
                await database.close()
                try? FileManager.default.removeItem(atPath: dir)
            }
        case .postgres:
            let base = ProcessInfo.processInfo.environment["TESSERA_TEST_POSTGRES_URL"]!
            let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            let admin = try PostgresStore.connect(url: base, maximumConnections: 1, logger: logger)
            try await admin.read { db in try await db.raw("CREATE DATABASE \(unsafeRaw: name)").run() }
            let url = String(base[..<base.lastIndex(of: "/")!]) + "/" + name
            let database = try PostgresStore.connect(url: url, maximumConnections: 3, logger: logger)
            try await bootstrap(database, adminPassword: adminPassword)
            return Harness(engine: engine, database: database, clock: clock, apiVersion: apiVersion) {
                await database.close()
                try? await admin.read { db in try await db.raw("DROP DATABASE IF EXISTS \(unsafeRaw: name)").run() }
                await admin.close()
            }
        }
    }

    /// The shipped users' hashes for the usual password, made once: two bcrypts per harness add up
    /// to seconds of CPU over the suite, ahead of every sign-in the tests make.
    private static let defaultHashes = (admin: Bcrypt.hash(adminPassword, cost: Passwords.cost), guest: Bcrypt.hash("", cost: Passwords.cost))

    /// What a first start does (``Bootstrap/run(_:adminPassword:logger:)``), with hashes made once for the usual password.
    private static func bootstrap(_ database: any Database, adminPassword: String) async throws {
        guard adminPassword == Self.adminPassword else {
            return try await Bootstrap.run(database, adminPassword: adminPassword, logger: logger)
        }
        _ = try await Schema.migrate(database)
        try await Bootstrap.setPasswords(database, adminHash: defaultHashes.admin, guestHash: defaultHashes.guest)
    }

    /// Runs `body` with a fresh harness and closes it afterwards.
    static func with(
        _ engine: Engine,
        apiVersion: String = "7.0.0",
        adminPassword: String = Harness.adminPassword,
        _ body: (Harness) async throws -> Void
    ) async throws {
        let harness = try await make(engine, apiVersion: apiVersion, adminPassword: adminPassword)
        do {
            try await body(harness)
            await harness.cleanup()
        } catch {
            await harness.cleanup()
            throw error
        }
    }

    // MARK: - Calls

    /// Posts a raw body; returns the response text (nil for an empty body).
    func raw(_ body: String, bearer: String? = nil, ip: String = "127.0.0.1") async -> String? {
        await endpoint.respond(to: Array(body.utf8), bearer: bearer, ip: ip).map { String(decoding: $0, as: UTF8.self) }
    }

    /// One call; returns the whole response object.
    @discardableResult
    func call(_ method: String, _ params: JSON = [:], auth: String? = nil, bearer: String? = nil, id: JSON = 1) async throws -> JSON {
        var request: JSONObject = ["jsonrpc": "2.0", "method": .string(method), "params": params]
        if let auth { request["auth"] = .string(auth) }
        request["id"] = id
        let text = await raw(JSON.object(request).encoded(), bearer: bearer)
        return try JSONParser.parse(text ?? "null")
    }

    /// The `result` of a call that must succeed.
    func result(_ method: String, _ params: JSON = [:], auth: String? = nil, bearer: String? = nil) async throws -> JSON {
        let response = try await call(method, params, auth: auth, bearer: bearer)
        guard let result = response["result"] else {
            Issue.record("\(method) failed: \(response.encoded())")
            throw HarnessError.failed(response.encoded())
        }
        return result
    }

    /// Logs in and returns the session id.
    func login(_ username: String = "Admin", _ password: String = Harness.adminPassword) async throws -> String {
        try await result("user.login", ["username": .string(username), "password": .string(password)]).stringValue!
    }

    /// Creates a token for the caller (or `userid`) and generates its value; returns (tokenid, value).
    func token(_ name: String, auth: String, extra: JSONObject = [:]) async throws -> (id: String, value: String) {
        var params: JSONObject = ["name": .string(name)]
        for (key, value) in extra.pairs { params[key] = value }
        let id = try await result("token.create", .object(params), auth: auth)["tokenids"]!.arrayValue![0].stringValue!
        let generated = try await result("token.generate", [.string(id)], auth: auth)
        return (id, generated.arrayValue![0]["token"]!.stringValue!)
    }

    /// A user of the given role (1 User, 2 Admin, 3 Super admin, or a created one) in group 7 or `groups`.
    func user(
        _ username: String,
        roleid: String,
        groups: [String] = ["7"],
        password: String = "Str0ng-Passw0rd!",
        auth: String
    ) async throws -> String {
        let params: JSON = [
            "username": .string(username), "passwd": .string(password), "roleid": .string(roleid),
            "usrgrps": .array(groups.map { ["usrgrpid": .string($0)] }),
        ]
        return try await result("user.create", params, auth: auth)["userids"]!.arrayValue![0].stringValue!
    }
}

enum HarnessError: Error {
    case failed(String)
}

/// Expected error responses.
func error(_ code: Int, _ data: String, id: JSON = 1) -> JSON {
    let message: String
    switch code {
    case -32700: message = "Parse error"
    case -32600: message = "Invalid request."
    case -32601: message = "Method not found."
    case -32602: message = "Invalid params."
    default: message = "Application error."
    }
    return ["jsonrpc": "2.0", "error": ["code": .int(code), "message": .string(message), "data": .string(data)], "id": id]
}

func success(_ result: JSON, id: JSON = 1) -> JSON {
    ["jsonrpc": "2.0", "result": result, "id": id]
}
