/// An error a method reports to the caller. The kind decides the JSON-RPC code, the message goes to `error.data`.
public struct APIError: Error, Equatable, Sendable {
    public enum Kind: Sendable, Equatable {
        /// Bad parameters or failed authentication (Zabbix 100 / 200): -32602.
        case params
        /// Permission or internal failure (Zabbix 120 / 111): -32500.
        case application
        /// Unknown API or method (Zabbix 300): -32601.
        case noMethod
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public static func params(_ message: String) -> APIError { APIError(.params, message) }
    public static func application(_ message: String) -> APIError { APIError(.application, message) }

    /// `Invalid parameter "<path>": <reason>.`
    public static func invalid(_ path: String, _ reason: String) -> APIError {
        .params("Invalid parameter \"\(path)\": \(reason).")
    }

    public static let noPermissions = APIError.application("No permissions to referred object or it does not exist!")
    public static let notAuthorized = APIError.params("Not authorized.")
    public static let sessionTerminated = APIError.params("Session terminated, re-login, please.")
    public static let noOperationPermission = APIError.application("You do not have permission to perform this operation.")
}
