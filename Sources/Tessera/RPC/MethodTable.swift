/// Who may call a method (users spec §0.1).
enum Access: Sendable {
    /// Called without `auth`; giving one is an error.
    case anonymous
    /// Needs `auth`, a user type of at least `minType`, and the role's `action` rule when set.
    case authenticated(minType: UserType, action: String? = nil)
}

/// What a method handler receives.
struct Invocation: Sendable {
    let params: JSON
    /// Nil for anonymous methods.
    let context: CallContext?
    let ip: String
    let recordsetid: String

    /// The request context of an authenticated method.
    var caller: CallContext { context! }
}

/// One API method: its access rule and its handler.
struct APIMethod: Sendable {
    /// `service.method` in lowercase: the method's label in the metrics.
    let name: String
    let access: Access
    let run: @Sendable (Invocation) async throws -> JSON

    /// The role gate of an authenticated method, whoever calls (JSON-RPC or the command line).
    func authorize(_ principal: Principal, service: String, method: String) throws(APIError) {
        guard case .authenticated(let minType, let action) = access else { return }
        guard principal.permissions.mayCall(service: service, method: method, minType: minType, action: action) else {
            throw APIError.params("No permissions to call \"\(service).\(method)\".")
        }
    }
}

/// Every method of the API, by lowercase service and method name.
struct MethodTable: Sendable {
    private(set) var services: [String: [String: APIMethod]] = [:]
    /// The same methods by their name as documented (`user.checkAuthentication`): what clients send,
    /// found with one lookup and no lowercasing.
    private var documented: [String: (service: String, method: String, entry: APIMethod)] = [:]

    mutating func add(_ service: String, _ method: String, _ access: Access, _ run: @escaping @Sendable (Invocation) async throws -> JSON) {
        let entry = APIMethod(name: service.lowercased() + "." + method.lowercased(), access: access, run: run)
        services[service.lowercased(), default: [:]][method.lowercased()] = entry
        documented[service + "." + method] = (service, method, entry)
    }

    /// Resolves `service.method` (names compared lowercased, errors echo them as sent).
    func lookup(_ name: String) throws(APIError) -> (service: String, method: String, entry: APIMethod) {
        if let entry = documented[name] { return entry }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let service = parts[0]
        let method = parts.count > 1 ? parts[1] : ""
        guard let methods = services[service.lowercased()] else { throw APIError(.noMethod, "Incorrect API \"\(service)\".") }
        guard let entry = methods[method.lowercased()] else {
            throw APIError(.noMethod, "Incorrect method \"\(service).\(method)\".")
        }
        return (service, method, entry)
    }
}
