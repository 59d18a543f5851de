/// API calls made in-process for someone on the server's own machine (the `tessera` command line):
/// the same method table, role gate, services, validation messages and audit records as a JSON-RPC
/// request authenticated as that user, only without HTTP and without a password (`Credential.local`).
public struct LocalCaller: Sendable {
    private let methods: MethodTable
    private let services: Services
    /// The user the calls act as.
    public let principal: Principal
    private let rules: RoleRules
    /// What the audit log records as the caller's address.
    private let ip: String
    /// The calls of one caller share an audit record set, as the calls of one JSON-RPC batch do.
    private let recordsetid = CUID.make()

    /// Acts as `username`, or as userid 1 (Admin in a new installation) when nil. A user that does not
    /// exist or is disabled is refused, as the API refuses its sessions and tokens.
    public init(services: Services, username: String?, ip: String) async throws {
        let account = try await services.database.read { db in
            if let username { return try await UserRepository.account(db, username: username) }
            return try await UserRepository.account(db, userid: "1")
        }
        let who = username.map { "\"\($0)\"" } ?? "userid 1"
        guard let account else { throw ConfigurationError("cannot act as \(who): there is no such user") }
        guard !account.isDisabled else { throw ConfigurationError("cannot act as \(who): the user is disabled") }
        self.rules = try await services.database.read { db in try await RoleRepository.rules(db, roleid: account.roleid) }
        self.principal = account.principal(.local)
        self.methods = .build(services)
        self.services = services
        self.ip = ip
    }

    /// Calls `method` (`"token.create"`, …) with `params`; throws the `APIError` the API would answer with.
    public func call(_ method: String, _ params: JSON) async throws -> JSON {
        let (service, name, entry) = try methods.lookup(method)
        try entry.authorize(principal, rules, service: service, method: name)
        let context = services.context(for: principal, ip: ip, recordsetid: recordsetid)
        return try await entry.run(Invocation(params: params, context: context, ip: ip, recordsetid: recordsetid))
    }
}
