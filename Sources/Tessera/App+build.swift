import Foundation
import Hummingbird
import Logging

/// Settings of `tessera serve`, whatever their source (flags, environment, config file).
public struct ServerConfig: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var dataDir = "./data"
    /// A `postgres://` URL; nil means the embedded SQLite file in `dataDir`.
    public var databaseURL: String?
    public var apiVersion = "7.0.0"
    public var logLevel = Logger.Level.info
    public var logFormat = LogFormat.plain
    /// The first Admin password; random (and printed once) when nil.
    public var adminPassword: String?

    public init() {}

    /// The embedded SQLite file (used when `databaseURL` is nil).
    public var sqlitePath: String { (dataDir as NSString).appendingPathComponent("tessera.sqlite") }
}

/// What `openDatabase` does about the schema.
public enum SchemaUse: Sendable {
    /// Creates or upgrades it, setting the first Admin password on a new database (`serve`, `migrate`).
    case migrate
    /// Changes nothing: the database must exist at this build's schema version (the `user` and `token` commands).
    case existing
}

/// Opens the configured database, migrating it or checking its schema as `schema` says.
public func openDatabase(_ config: ServerConfig, schema: SchemaUse = .migrate, logger: Logger) async throws -> any Database {
    let database: any Database
    if let url = config.databaseURL {
        database = try PostgresStore.connect(url: url, logger: logger)
    } else {
        if schema == .existing, !FileManager.default.fileExists(atPath: config.sqlitePath) {
            throw ConfigurationError("there is no Tessera database at \(config.sqlitePath): create it with `tessera migrate`")
        }
        try FileManager.default.createDirectory(atPath: config.dataDir, withIntermediateDirectories: true)
        database = try await SQLiteStore.open(path: config.sqlitePath, logger: logger)
    }
    do {
        // The PostgreSQL pool retries a failing connection forever: give up on start-up instead of hanging.
        try await withDeadline(.seconds(30), failure: ConfigurationError(
            "cannot reach the database within 30 s: check the --database URL, that PostgreSQL runs and that it accepts this user")
        ) {
            switch schema {
            case .migrate: try await Bootstrap.run(database, adminPassword: config.adminPassword, logger: logger)
            case .existing: try await Schema.requireCurrent(database)
            }
        }
    } catch {
        await database.close()
        throw error
    }
    return database
}

/// The router of the whole server.
public func buildRouter(_ services: Services, web: WebUI, logger: Logger) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.get("healthz") { _, _ in "ok" }
    JSONRPCController(endpoint: JSONRPCEndpoint(services: services, logger: logger)).addRoutes(to: router)
    web.addRoutes(to: router, services: services)
    return router
}

/// The application for `config` over an opened database.
public func buildApplication(_ config: ServerConfig, services: Services, web: WebUI, logger: Logger) -> some ApplicationProtocol {
    Application(
        router: buildRouter(services, web: web, logger: logger),
        configuration: .init(address: .hostname(config.host, port: config.port), serverName: "Tessera"),
        logger: logger)
}

/// Runs `body`, or throws `failure` when it has not finished after `limit` (it is then cancelled).
func withDeadline(_ limit: Duration, failure: any Error, _ body: @escaping @Sendable () async throws -> Void) async throws {
    try await withThrowingTaskGroup(of: Bool.self) { group in
        group.addTask {
            try await body()
            return true
        }
        group.addTask {
            try await Task.sleep(for: limit)
            return false
        }
        let finished = try await group.next() ?? false
        group.cancelAll()
        if !finished { throw failure }
    }
}
