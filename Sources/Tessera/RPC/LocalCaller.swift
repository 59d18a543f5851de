/// API calls made in-process for someone on the server's own machine (the `tessera` command line):
/// the same method table, role gate, services, validation messages and audit records as a JSON-RPC
/// request authenticated as that user, only without HTTP and without a password (`Credential.local`).
public struct LocalCaller: Sendable {
    private let methods: MethodTable
    private let services: Services
    /// The user the calls act as.
    public let principal: Principal
    /// What the audit log records as the caller's address.
    private let ip: String
    /// The calls of one caller share an audit record set, as the calls of one JSON-RPC batch do.
    private let recordsetid: String

    /// Acts as `username`, or as userid 1 (Admin in a new installation) when nil (`Services.localCaller`).
    public init(services: Services, username: String?, ip: String) async throws {
        let caller = try await services.localCaller(as: username, ip: ip)
        self.principal = caller.principal
        self.recordsetid = caller.recordsetid
        self.methods = .build(services)
        self.services = services
        self.ip = ip
    }

    /// Calls `method` (`"token.create"`, …) with `params`; throws the `APIError` the API would answer with.
    public func call(_ method: String, _ params: JSON) async throws -> JSON {
        let (service, name, entry) = try methods.lookup(method)
        try entry.authorize(principal, service: service, method: name)
        let context = services.context(for: principal, ip: ip, recordsetid: recordsetid)
        return try await entry.run(Invocation(params: params, context: context, ip: ip, recordsetid: recordsetid))
    }
}
