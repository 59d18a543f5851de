/// Which user groups to read (`usergroup.get`, the group list and form), and what to read with them.
/// Anyone but a Super admin sees only their own groups (added by `UserGroupService`).
public struct UserGroupQuery: Sendable {
    /// What to read of each group's members.
    public struct Members: Sendable {
        /// These columns of the users table.
        public var columns: [String]
        /// Each member's group flags over all their groups.
        public var flags: Bool

        /// Their userids only.
        public init(columns: [String] = [], flags: Bool = false) {
            self.columns = columns
            self.flags = flags
        }
    }

    public var ids: [UserGroupID]?
    /// Groups with any of these users.
    public var ofUsers: [UserID]?
    public var status: GroupStatus?
    /// Only the groups the caller may change: none unless they are a Super admin.
    public var editable: Bool
    public var members: Members?
    /// By name rather than by id.
    public var orderedByName: Bool
    /// The `get` options of the API (filter, search, sorting, count, limit).
    var options = GetOptions()

    public init(
        ids: [UserGroupID]? = nil,
        ofUsers: [UserID]? = nil,
        status: GroupStatus? = nil,
        editable: Bool = false,
        members: Members? = nil,
        orderedByName: Bool = false
    ) {
        self.ids = ids
        self.ofUsers = ofUsers
        self.status = status
        self.editable = editable
        self.members = members
        self.orderedByName = orderedByName
    }

    /// The `get` options with the order added.
    var listOptions: GetOptions {
        var options = options
        if orderedByName { options.sortFields = ["name"] }
        return options
    }
}

/// A group that a query found, with the members it asked for.
public struct UserGroupListing: Sendable {
    /// A member as the query asked for it.
    public struct Member: Sendable {
        public let id: UserID
        /// The columns asked for, as `user.get` prints them.
        public let fields: JSONObject
        /// Over all the member's groups, when asked for.
        public let flags: GroupFlags?
    }

    public let group: UserGroup
    /// By userid, when the query asked for them.
    public let members: [Member]?
}
