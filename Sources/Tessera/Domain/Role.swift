/// A user role: what its users may see and do (its rules are a `RuleSet`). The role's type is the type
/// of every user that has it.
public struct Role: Sendable, Equatable {
    public let id: RoleID
    public var name: String
    public var type: UserType
    /// The Super admin role of a new installation: it can be neither changed nor deleted.
    public var readonly: Bool

    public init(id: RoleID, name: String, type: UserType, readonly: Bool = false) {
        self.id = id
        self.name = name
        self.type = type
        self.readonly = readonly
    }
}

/// A role to create (`role.create`, the New user role form).
public struct RoleDraft: Sendable {
    public var name: String
    public var type: UserType
    /// The rules given; nil: every rule at its default.
    var rules: RoleRulesChange?

    init(name: String, type: UserType, rules: RoleRulesChange? = nil) {
        self.name = name
        self.type = type
        self.rules = rules
    }
}

/// Changes to one role (`role.update`, the edit form): nil leaves a field as it is.
public struct RoleChange: Sendable {
    public let id: RoleID
    public var name: String?
    public var type: UserType?
    var rules: RoleRulesChange?

    init(id: RoleID, name: String? = nil, type: UserType? = nil, rules: RoleRulesChange? = nil) {
        self.id = id
        self.name = name
        self.type = type
        self.rules = rules
    }
}
