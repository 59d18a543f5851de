/// The id of a row of one kind (`TokenID`, `UserID`, `RoleID`, `UserGroupID`): a positive 64-bit integer
/// that the API prints as a decimal string. The kind is part of the type, so a user id cannot be passed
/// where a token id belongs.
public struct EntityID<Kind>: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let value: Int64

    public init(_ value: Int64) { self.value = value }

    /// Digits only (no sign, no spaces), as the API's id rule accepts them; nil for anything else.
    public init?(_ text: some StringProtocol) {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let value = Int64(text) else { return nil }
        self.value = value
    }

    public var description: String { String(value) }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.value < rhs.value }
}

/// The kinds of `EntityID`.
public enum IDKind {
    public enum Token {}
    public enum User {}
    public enum Role {}
    public enum UserGroup {}
}

public typealias TokenID = EntityID<IDKind.Token>
public typealias UserID = EntityID<IDKind.User>
public typealias RoleID = EntityID<IDKind.Role>
public typealias UserGroupID = EntityID<IDKind.UserGroup>

extension EntityID {
    /// The ids of a delete: at least one, none twice (`Invalid parameter "/2": value (7) already exists.`).
    static func checkList(_ ids: [Self]) throws(APIError) {
        if ids.isEmpty { throw APIError.invalid("/", "cannot be empty") }
        var seen = Set<Self>()
        for (index, id) in ids.enumerated() where !seen.insert(id).inserted {
            throw .invalid("/\(index + 1)", "value (\(id)) already exists")
        }
    }
}
