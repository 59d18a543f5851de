import Logging

/// Every service of one running instance, built once at start-up and shared by the API, the UI and the CLI.
public struct Services: Sendable {
    public let database: any Database
    public let clock: UnixTime
    /// What `apiinfo.version` reports (clients branch on it: below 6.4 they send `auth`, from 6.4 a Bearer header).
    public let apiVersion: String
    public let authenticator: Authenticator
    let tokenCache: TokenCache
    let lastAccess: LastAccessRecorder
    public let tokens: TokenService
    public let sessions: SessionService
    public let users: UserService
    public let userGroups: UserGroupService
    public let roles: RoleService
    public let settings: SettingsService
    public let auditLog: AuditLogService

    /// Starts the `lastaccess` writer; call `shutdown()` before closing the database.
    public init(
        database: any Database, clock: UnixTime = .system, apiVersion: String = "7.0.0", lastAccessInterval: Duration = .seconds(1),
        logger: Logger = Logger(label: "tessera")
    ) {
        self.database = database
        self.clock = clock
        self.apiVersion = apiVersion
        // Several instances may share a PostgreSQL database, and until they tell each other about
        // changes (LISTEN/NOTIFY) a cached verdict could outlive a revocation made elsewhere: there,
        // every authentication reads the database.
        let cache = TokenCache(capacity: database.engine == .sqlite ? 1_100_000 : 0)
        let lastAccess = LastAccessRecorder(database: database, interval: lastAccessInterval, logger: logger)
        self.tokenCache = cache
        self.lastAccess = lastAccess
        self.authenticator = Authenticator(database: database, clock: clock, cache: cache, lastAccess: lastAccess)
        self.tokens = TokenService(database: database, cache: cache, lastAccess: lastAccess)
        self.sessions = SessionService(database: database, authenticator: authenticator, clock: clock)
        self.users = UserService(database: database, cache: cache)
        self.userGroups = UserGroupService(database: database, cache: cache)
        self.roles = RoleService(database: database, cache: cache)
        self.settings = SettingsService(database: database)
        self.auditLog = AuditLogService(database: database)
        lastAccess.start()
    }

    /// Writes the pending `lastaccess` values; the instance serves no more token calls after this.
    public func shutdown() async {
        await lastAccess.stop()
    }

    /// A request context for `principal` at the current time.
    public func context(for principal: Principal, ip: String, recordsetid: String = CUID.make()) -> CallContext {
        CallContext(principal: principal, ip: ip, recordsetid: recordsetid, now: clock.now)
    }
}
