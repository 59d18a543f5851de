/// A user as the web UI and the command line show one: names, settings, role, groups and what the
/// groups make of the user.
public struct UserRecord: Sendable, Equatable {
    /// A group the user is in.
    public struct Group: Sendable, Equatable {
        public let id: UserGroupID
        public let name: String
        /// Its members are disabled (`users_status` 1).
        public let disablesMembers: Bool
    }

    public let id: UserID
    public let names: UserNames
    public let lang: String
    public let timezone: String
    public let autologout: String
    public let rowsPerPage: Int64
    public let role: RoleID?
    public let roleName: String?
    public let groups: [Group]
    /// The highest frontend access of the user's groups.
    public let guiAccess: GUIAccess
    /// The highest debug mode of the user's groups.
    public let debugMode: DebugMode
    /// Disabled by one of its groups.
    public let isDisabled: Bool
}

/// Which users to read for a list or a picker.
public struct UserFilter: Sendable {
    public enum Order: Sendable {
        case username
        case userid
    }

    public var ids: [UserID]?
    /// Text that the username, name or surname contains, in any case.
    public var search: String?
    public var order: Order
    public var limit: Int?

    public init(ids: [UserID]? = nil, search: String? = nil, order: Order = .username, limit: Int? = nil) {
        self.ids = ids
        self.search = search
        self.order = order
        self.limit = limit
    }
}

extension UserService {
    /// The users the caller may see that the filter finds, with their role and groups.
    public func records(_ filter: UserFilter, by caller: CallContext) async throws -> [UserRecord] {
        var options = GetOptions()
        options.sortFields = [filter.order == .username ? "username" : "userid"]
        options.limit = filter.limit
        if let text = filter.search, !text.isEmpty {
            options.search = ["username": [.string(text)], "name": [.string(text)], "surname": [.string(text)]]
            options.searchByAny = true
        }
        let query = Query(options: options, ids: filter.ids.map { $0.map(\.value) }, withAccess: true, withGroups: true, withRoles: true)
        let listing = try await listing(query, by: caller)
        guard case .rows(let rows) = listing.found else { return [] }
        return rows.compactMap { row in
            guard let id = UserID(row.key) else { return nil }
            func text(_ column: String) -> String { row.object[column]?.stringValue ?? "" }
            let flags = listing.access[row.key] ?? .noGroup
            let role = listing.roles[row.key] ?? nil
            return UserRecord(
                id: id,
                names: UserNames(username: text("username"), name: text("name"), surname: text("surname")),
                lang: text("lang"),
                timezone: text("timezone"),
                autologout: text("autologout"),
                rowsPerPage: Int64(text("rows_per_page")) ?? 0,
                role: RoleID(text("roleid")),
                roleName: role?.name,
                groups: (listing.groups[row.key] ?? []).map { group in
                    UserRecord.Group(id: group.id, name: group.name, disablesMembers: group.status == .disabled)
                },
                guiAccess: flags.guiAccess,
                debugMode: flags.debugMode,
                isDisabled: flags.status == .disabled
            )
        }
    }

    /// One user the caller may see.
    public func record(_ id: UserID, by caller: CallContext) async throws -> UserRecord? {
        try await records(UserFilter(ids: [id]), by: caller).first
    }
}
