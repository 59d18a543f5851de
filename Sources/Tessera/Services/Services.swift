import Logging

/// Every service of one running instance, built once at start-up and shared by the API, the UI and the CLI.
public struct Services: Sendable {
    public let database: any Database
    public let clock: UnixTime
    /// What `apiinfo.version` reports (clients branch on it: below 6.4 they send `auth`, from 6.4 a Bearer header).
    public let apiVersion: String
    let authenticator: Authenticator
    let telemetry = Telemetry()
    /// Failed authentications per client address (`--auth-failure-limit`).
    let failures: FailureLimiter
    /// Failed authentications an address may make per minute before it is refused for the rest of it.
    public static let defaultAuthFailureLimit = 300
    /// Seconds a session lasts from its login, however active: 24 h.
    public static let defaultSessionLifetime = 86_400
    let changes: ChangeFeed
    let lastAccess: LastAccessRecorder
    /// Receives other processes' changes (`ChangeFeed`).
    private let listener: Task<Void, Never>
    public let tokens: TokenService
    let sessions: SessionService
    public let users: UserService
    public let userGroups: UserGroupService
    public let roles: RoleService
    let settings: SettingsService
    let profiles: ProfileService
    let auditLog: AuditLogService

    /// Starts the `lastaccess` writer; call `shutdown()` before closing the database.
    public init(
        database: any Database,
        clock: UnixTime = .system,
        apiVersion: String = "7.0.0",
        lastAccessInterval: Duration = .seconds(1),
        authFailureLimit: Int = Services.defaultAuthFailureLimit,
        sessionLifetime: Int = Services.defaultSessionLifetime,
        logger: Logger = Logger(label: "tessera")
    ) {
        self.database = database
        self.clock = clock
        self.apiVersion = apiVersion
        // On PostgreSQL other instances may change tokens too: the cache serves entries only while
        // their changes are being received (LISTEN), and drops everything when that connection is lost.
        let cache = TokenCache(capacity: 1_100_000, trusted: database.engine == .sqlite)
        let changes = ChangeFeed(cache: cache, engine: database.engine)
        let lastAccess = LastAccessRecorder(database: database, interval: lastAccessInterval, logger: logger)
        self.changes = changes
        self.lastAccess = lastAccess
        self.authenticator = Authenticator(
            database: database,
            clock: clock,
            cache: cache,
            lastAccess: lastAccess,
            telemetry: telemetry,
            sessionLifetime: sessionLifetime
        )
        self.tokens = TokenService(database: database, changes: changes, lastAccess: lastAccess)
        self.failures = FailureLimiter(limit: authFailureLimit, clock: clock)
        self.sessions = SessionService(database: database, authenticator: authenticator, failures: failures, clock: clock)
        self.users = UserService(database: database, changes: changes)
        self.userGroups = UserGroupService(database: database, changes: changes)
        self.roles = RoleService(database: database, changes: changes)
        self.settings = SettingsService(database: database)
        self.profiles = ProfileService(database: database)
        if let postgres = database as? PostgresStore {
            listener = Task {
                await postgres.listen(
                    channel: ChangeFeed.channel,
                    listening: { cache.trust() },
                    lost: { cache.distrust() },
                    received: { changes.apply(ChangeFeed.Change(payload: $0)) }
                )
            }
        } else {
            listener = Task { await changes.follow(database) }
        }
        self.auditLog = AuditLogService(database: database)
        lastAccess.start()
    }

    /// Writes the pending `lastaccess` values; the instance serves no more token calls after this.
    public func shutdown() async {
        listener.cancel()
        await listener.value
        await lastAccess.stop()
    }

    /// A request context for `principal` at the current time.
    func context(for principal: Principal, ip: String, recordsetid: String = CUID.make()) -> CallContext {
        CallContext(principal: principal, ip: ip, recordsetid: recordsetid, now: clock.now)
    }
}
