import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import ServiceLifecycle

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
    /// Failed authentications per client address and minute before it is refused (0: no limit).
    public var authFailureLimit = Services.defaultAuthFailureLimit
    /// Seconds a session (web UI or `user.login`) lasts from its login, however active (0: no limit).
    public var sessionLifetime = Services.defaultSessionLifetime
    /// Certificate chain and private key (PEM files) for serving HTTPS directly.
    public var tlsCertificate: String?
    public var tlsKey: String?
    /// Peers whose `X-Forwarded-For` / `X-Forwarded-Proto` are believed (reverse proxies).
    public var trustedProxies: [String] = []
    /// A second port for `/metrics`, `/healthz` and `/readyz` only; `/metrics` is then served there only.
    public var metricsPort: Int?
    /// The address the metrics port listens on; nil: `host`.
    public var metricsHost: String?
    /// The bearer token `/metrics` requires; nil: none.
    public var metricsToken: MetricsToken?
    /// Seconds a connection may stay idle (also while a slow client sends its request) before it is closed.
    public var idleTimeout = 30

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

/// Opens the configured database, migrating it or checking its schema as `schema` says. A database
/// that cannot be reached is tried again for `patience` (it may be starting), then given up.
public func openDatabase(
    _ config: ServerConfig,
    schema: SchemaUse = .migrate,
    patience: Duration = .seconds(30),
    logger: Logger
) async throws -> any Database {
    let database: any Database
    // PostgreSQL: one connection of its own first, so that a refusal is told at once (the pool only retries).
    let check: (@Sendable () async throws -> Void)?
    if let url = config.databaseURL {
        let store = try PostgresStore.connect(url: url, logger: logger)
        check = store.checkConnection
        database = store
    } else {
        check = nil
        if schema == .existing, !FileManager.default.fileExists(atPath: config.sqlitePath) {
            throw ConfigurationError("there is no Tessera database at \(config.sqlitePath): create it with `tessera migrate`")
        }
        try FileManager.default.createDirectory(atPath: config.dataDir, withIntermediateDirectories: true)
        database = try await SQLiteStore.open(path: config.sqlitePath, logger: logger)
    }
    do {
        // The PostgreSQL pool retries a failing connection forever: give up on start-up instead of hanging.
        try await withDeadline(
            patience,
            failure: ConfigurationError(
                "cannot reach the database within \(patience.components.seconds) s: check the --database URL, that PostgreSQL runs and that it accepts this user"
            )
        ) {
            // A database that is still starting (or briefly away) is waited for, up to the deadline.
            while true {
                do {
                    try await check?()
                    switch schema {
                    case .migrate: return try await Bootstrap.run(database, adminPassword: config.adminPassword, logger: logger)
                    case .existing: return try await Schema.requireCurrent(database)
                    }
                } catch is DatabaseUnavailable {
                    try await Task.sleep(for: .seconds(1))
                }
            }
        }
    } catch {
        await database.close()
        throw error
    }
    return database
}

/// The router of the whole server.
func buildRouter(_ services: Services, web: WebUI, config: ServerConfig, logger: Logger) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: RequestLogMiddleware())
    router.add(middleware: TunnelRefusal())
    router.add(middleware: ClientMiddleware(trustedProxies: Set(config.trustedProxies), tls: config.tlsCertificate != nil))
    OperationsRoutes(services: services, servesMetrics: config.metricsPort == nil, metricsToken: config.metricsToken).addRoutes(to: router)
    JSONRPCController(endpoint: JSONRPCEndpoint(services: services, logger: logger)).addRoutes(to: router)
    web.addRoutes(to: router, services: services)
    return router
}

/// The application for `config` over an opened database: HTTP or HTTPS, and the metrics port beside
/// it when configured.
public func buildApplication(_ config: ServerConfig, services: Services, web: WebUI, logger: Logger) throws -> some ApplicationProtocol {
    var extra: [any Service] = []
    if let port = config.metricsPort {
        let router = Router()
        router.add(middleware: RequestLogMiddleware())
        router.add(middleware: TunnelRefusal())
        OperationsRoutes(services: services, metricsToken: config.metricsToken).addRoutes(to: router)
        extra.append(
            Application(
                router: router,
                configuration: .init(address: .hostname(config.metricsHost ?? config.host, port: port), serverName: "Tessera"),
                logger: logger
            )
        )
    }
    let http1 = HTTPServerBuilder.http1(configuration: .init(idleTimeout: .seconds(Int64(config.idleTimeout))))
    let server: HTTPServerBuilder
    if let certificate = config.tlsCertificate, let key = config.tlsKey {
        server = try .tls(http1, tlsConfiguration: TLSFiles.configuration(certificate: certificate, key: key))
    } else {
        server = http1
    }
    return Application(
        router: buildRouter(services, web: web, config: config, logger: logger),
        server: server,
        configuration: .init(address: .hostname(config.host, port: config.port), serverName: "Tessera"),
        services: extra,
        logger: logger
    )
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
