/// Which roles to read (`role.get`, the role list and form), and what to read with them.
public struct RoleQuery: Sendable {
    /// What to read of each role's users.
    public enum Users: Sendable, Equatable {
        case count
        /// Their rows with these columns of the users table.
        case rows(columns: [String])
    }

    public var ids: [RoleID]?
    /// Only the roles the caller may change: none unless they are a Super admin.
    public var editable: Bool
    /// Read each role's rules too.
    public var withRules: Bool
    public var users: Users?
    /// By name rather than by id.
    public var orderedByName: Bool
    /// The `get` options of the API (filter, search, sorting, count, limit).
    var options = GetOptions()

    public init(ids: [RoleID]? = nil, editable: Bool = false, withRules: Bool = false, users: Users? = nil, orderedByName: Bool = false) {
        self.ids = ids
        self.editable = editable
        self.withRules = withRules
        self.users = users
        self.orderedByName = orderedByName
    }

    var conditions: Conditions {
        var conditions = Conditions()
        if let ids { conditions.add(.among("roleid", ids.map(\.value))) }
        return conditions
    }

    /// The `get` options with the order added.
    var listOptions: GetOptions {
        var options = options
        if orderedByName { options.sortFields = ["name"] }
        return options
    }
}

/// A role that a query found, with the rules and users it asked for.
public struct RoleListing: Sendable {
    /// A role's users as a query asked for them.
    public enum Users: Sendable, Equatable {
        case count(Int64)
        /// As `user.get` prints them, by userid.
        case rows([JSONObject])
    }

    public let role: Role
    let rules: RuleSet?
    public let users: Users?

    /// The number of users, when the query asked for it.
    public var userCount: Int64? {
        if case .count(let count)? = users { return count }
        return nil
    }
}
