/// How a group's members may use the frontend (`gui_access`); over several groups the highest applies.
public enum GUIAccess: Int, Sendable, CaseIterable {
    /// The authentication method the installation is set to.
    case systemDefault = 0
    case `internal` = 1
    case ldap = 2
    /// No frontend access; the API still works.
    case disabled = 3
}

/// Whether a group's members may sign in at all (`users_status`): one disabled group disables a user.
public enum GroupStatus: Int, Sendable, CaseIterable {
    case enabled = 0
    case disabled = 1
}

/// Whether a group's members see the frontend's debug output (`debug_mode`).
public enum DebugMode: Int, Sendable, CaseIterable {
    case disabled = 0
    case enabled = 1
}

/// A user group. Its flags apply to its members: a user is disabled if any of their groups is, and
/// gets the highest frontend access and debug mode of their groups.
public struct UserGroup: Sendable, Equatable {
    public let id: UserGroupID
    public var name: String
    public var guiAccess: GUIAccess
    public var status: GroupStatus
    public var debugMode: DebugMode

    public init(
        id: UserGroupID,
        name: String,
        guiAccess: GUIAccess = .systemDefault,
        status: GroupStatus = .enabled,
        debugMode: DebugMode = .disabled
    ) {
        self.id = id
        self.name = name
        self.guiAccess = guiAccess
        self.status = status
        self.debugMode = debugMode
    }
}

/// A user's group flags over all their groups (`usergroup.get`'s members, `user.get`'s `getAccess`).
public struct GroupFlags: Sendable, Equatable {
    public var guiAccess: GUIAccess
    public var debugMode: DebugMode
    public var status: GroupStatus

    /// A user in no group.
    public static let noGroup = GroupFlags(guiAccess: .systemDefault, debugMode: .disabled, status: .enabled)
}

/// The fields a caller can set on a group, named as the API names them.
public enum UserGroupField: String, Sendable {
    case name
    case guiAccess = "gui_access"
    case status = "users_status"
    case debugMode = "debug_mode"
    case users
}

/// A group to create (`usergroup.create`, the New user group form).
public struct UserGroupDraft: Sendable {
    public var name: String
    public var guiAccess: GUIAccess
    public var status: GroupStatus
    public var debugMode: DebugMode
    public var members: [UserID]
    /// The fields the caller gave, in the order given: the audit record lists them so, as Zabbix's does.
    public var given: [UserGroupField]

    public init(
        name: String,
        guiAccess: GUIAccess = .systemDefault,
        status: GroupStatus = .enabled,
        debugMode: DebugMode = .disabled,
        members: [UserID] = [],
        given: [UserGroupField]? = nil
    ) {
        self.name = name
        self.guiAccess = guiAccess
        self.status = status
        self.debugMode = debugMode
        self.members = members
        self.given = given ?? [.name, .guiAccess, .status, .debugMode, .users]
    }
}

/// Changes to one group (`usergroup.update`, the edit form): nil leaves a field as it is; `members`
/// replaces the members.
public struct UserGroupChange: Sendable {
    public let id: UserGroupID
    public var name: String?
    public var guiAccess: GUIAccess?
    public var status: GroupStatus?
    public var debugMode: DebugMode?
    public var members: [UserID]?

    public init(
        id: UserGroupID,
        name: String? = nil,
        guiAccess: GUIAccess? = nil,
        status: GroupStatus? = nil,
        debugMode: DebugMode? = nil,
        members: [UserID]? = nil
    ) {
        self.id = id
        self.name = name
        self.guiAccess = guiAccess
        self.status = status
        self.debugMode = debugMode
        self.members = members
    }
}
