/// User types; a user's type is the type of its role.
public enum UserType: Int, Sendable, Comparable {
    case user = 1
    case admin = 2
    case superAdmin = 3

    public static func < (lhs: UserType, rhs: UserType) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// How a caller proved who it is.
public enum Credential: Sendable, Equatable {
    case session(String)
    case token(tokenid: String)
    /// A command run on the server's own machine (`tessera user …`, `tessera token …`): whoever can
    /// run it can read the database, so it needs no password, and it has no session to end.
    case local
}

/// An authenticated caller, as every service sees it.
public struct Principal: Sendable {
    public let id: UserID
    public let username: String
    public let roleid: RoleID
    public let type: UserType
    public let credential: Credential
    /// The rules of the user's role.
    let rules: RoleRules

    /// The user id as the API prints it.
    public var userid: String { id.description }
    var permissions: Permissions { Permissions(self) }
    public var isSuperAdmin: Bool { type == .superAdmin }
    public var isGuest: Bool { username == "guest" }
}

/// What a service needs to know about the request it serves.
public struct CallContext: Sendable {
    public let principal: Principal
    /// The caller's address, truncated to 39 characters for the audit log.
    public let ip: String
    /// One audit record set per request.
    public let recordsetid: String
    public let now: Int64

    public init(principal: Principal, ip: String, recordsetid: String, now: Int64) {
        self.principal = principal
        self.ip = String(ip.prefix(39))
        self.recordsetid = recordsetid
        self.now = now
    }
}
