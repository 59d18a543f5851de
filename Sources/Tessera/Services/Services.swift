/// Every service of one running instance, built once at start-up and shared by the API, the UI and the CLI.
public struct Services: Sendable {
    public let database: any Database
    public let clock: UnixTime
    /// What `apiinfo.version` reports (clients branch on it: below 6.4 they send `auth`, from 6.4 a Bearer header).
    public let apiVersion: String
    public let authenticator: Authenticator
    public let tokens: TokenService
    public let sessions: SessionService
    public let users: UserService
    public let userGroups: UserGroupService
    public let roles: RoleService
    public let settings: SettingsService
    public let auditLog: AuditLogService

    public init(database: any Database, clock: UnixTime = .system, apiVersion: String = "7.0.0") {
        self.database = database
        self.clock = clock
        self.apiVersion = apiVersion
        self.authenticator = Authenticator(database: database, clock: clock)
        self.tokens = TokenService(database: database)
        self.sessions = SessionService(database: database, authenticator: authenticator, clock: clock)
        self.users = UserService(database: database)
        self.userGroups = UserGroupService(database: database)
        self.roles = RoleService(database: database)
        self.settings = SettingsService(database: database)
        self.auditLog = AuditLogService(database: database)
    }

    /// A request context for `principal` at the current time.
    public func context(for principal: Principal, ip: String, recordsetid: String = CUID.make()) -> CallContext {
        CallContext(principal: principal, ip: ip, recordsetid: recordsetid, now: clock.now)
    }
}
