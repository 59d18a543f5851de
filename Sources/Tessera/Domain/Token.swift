/// Whether a token may be used (`status` 0 and 1 in the API).
public enum TokenStatus: Int64, Sendable, CaseIterable {
    case enabled = 0
    case disabled = 1
}

/// When a token stops working (`expires_at`, 0 for never in the API). A token is accepted up to and
/// including its second.
public enum Expiry: Sendable, Equatable {
    case never
    case at(Int64)

    /// `expires_at` as stored: 0 is never.
    public init(unixTime: Int64) { self = unixTime == 0 ? .never : .at(unixTime) }

    public var unixTime: Int64 {
        switch self {
        case .never: return 0
        case .at(let time): return time
        }
    }

    /// Whether a token with this expiry is refused at `now`.
    public func hasPassed(at now: Int64) -> Bool {
        if case .at(let time) = self { return time < now }
        return false
    }
}

/// An API token as stored, without its value (only the value's SHA-512 is kept, and never leaves storage).
public struct Token: Sendable, Equatable {
    public let id: TokenID
    public var name: String
    public var description: String
    public var owner: UserID
    /// The last second it authenticated a call; 0 for never.
    public var lastAccess: Int64
    public var status: TokenStatus
    public var expiry: Expiry
    public var createdAt: Int64
    /// Who created it or last gave it a value; nil once that user is deleted.
    public var creator: UserID?
}

/// The fields a caller can set on a token, named as the API names them.
public enum TokenField: String, Sendable {
    case name
    case description
    case userid
    case status
    case expiresAt = "expires_at"
}

/// A token to create (`token.create`, the New API token form, `tessera token create`).
public struct TokenDraft: Sendable {
    public var name: String
    public var description: String
    /// Nil: the caller.
    public var owner: UserID?
    public var status: TokenStatus
    public var expiry: Expiry
    /// The fields the caller gave, in the order given: the audit record lists them so, as Zabbix's does.
    public var given: [TokenField]

    public init(
        name: String,
        description: String = "",
        owner: UserID? = nil,
        status: TokenStatus = .enabled,
        expiry: Expiry = .never,
        given: [TokenField]? = nil
    ) {
        self.name = name
        self.description = description
        self.owner = owner
        self.status = status
        self.expiry = expiry
        self.given = given ?? [.name, .description, .userid, .status, .expiresAt]
    }
}

/// Changes to one token (`token.update`, the edit form, `tessera token enable`): nil leaves a field as it is.
public struct TokenChange: Sendable {
    public let id: TokenID
    public var name: String?
    public var description: String?
    public var status: TokenStatus?
    public var expiry: Expiry?
    /// The fields the caller gave, in the order given (the audit record lists the changed ones so).
    public var given: [TokenField]

    public init(
        id: TokenID,
        name: String? = nil,
        description: String? = nil,
        status: TokenStatus? = nil,
        expiry: Expiry? = nil,
        given: [TokenField]? = nil
    ) {
        self.id = id
        self.name = name
        self.description = description
        self.status = status
        self.expiry = expiry
        self.given = given ?? [.name, .description, .status, .expiresAt]
    }
}

/// A token with the value it was just given: the only place a value ever exists outside the caller.
public struct GeneratedToken: Sendable {
    public let id: TokenID
    public let value: String
}
