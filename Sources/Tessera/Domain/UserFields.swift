/// The fields a caller can set on a user, named as the API names them.
public enum UserField: String, Sendable, CaseIterable {
    case username
    case name
    case surname
    case passwd
    case url
    case autologin
    case autologout
    case lang
    case refresh
    case theme
    case rowsPerPage = "rows_per_page"
    case timezone
    case roleid
    case usrgrps
}

/// What a caller sets on a user (`user.create`, `user.update`, the user and profile forms, `tessera
/// user`): nil leaves a field as it is (or at its default for a new user).
public struct UserFields: Sendable {
    public var username: String?
    public var name: String?
    public var surname: String?
    /// The new password in plain text (only its bcrypt hash is stored).
    public var password: String?
    public var url: String?
    public var autologin: Bool?
    /// A time unit (`15m`, `0`: never).
    public var autologout: String?
    public var lang: String?
    public var refresh: String?
    public var theme: String?
    public var rowsPerPage: Int64?
    public var timezone: String?
    public var role: RoleID?
    /// The user's groups: all of them (the memberships are replaced).
    public var groups: [UserGroupID]?
    /// The fields the caller gave, in the order given: audit records list them so, as Zabbix's do.
    public var given: [UserField]
    /// The caller's present password, which changing one's own password needs (`current_passwd`, as
    /// later Zabbix versions have it); never stored.
    public var currentPassword: String?

    public init(
        username: String? = nil,
        name: String? = nil,
        surname: String? = nil,
        password: String? = nil,
        url: String? = nil,
        autologin: Bool? = nil,
        autologout: String? = nil,
        lang: String? = nil,
        refresh: String? = nil,
        theme: String? = nil,
        rowsPerPage: Int64? = nil,
        timezone: String? = nil,
        role: RoleID? = nil,
        groups: [UserGroupID]? = nil,
        given: [UserField]? = nil,
        currentPassword: String? = nil
    ) {
        self.username = username
        self.name = name
        self.surname = surname
        self.password = password
        self.url = url
        self.autologin = autologin
        self.autologout = autologout
        self.lang = lang
        self.refresh = refresh
        self.theme = theme
        self.rowsPerPage = rowsPerPage
        self.timezone = timezone
        self.role = role
        self.groups = groups
        self.currentPassword = currentPassword
        self.given = []
        self.given = given ?? UserField.allCases.filter { text(of: $0) != nil || ($0 == .usrgrps && groups != nil) }
    }

    /// A stored column's value as the API prints it (`usrgrps` is no column: nil).
    func text(of field: UserField) -> String? {
        switch field {
        case .username: return username
        case .name: return name
        case .surname: return surname
        case .passwd: return password
        case .url: return url
        case .autologin: return autologin.map { $0 ? "1" : "0" }
        case .autologout: return autologout
        case .lang: return lang
        case .refresh: return refresh
        case .theme: return theme
        case .rowsPerPage: return rowsPerPage.map { String($0) }
        case .timezone: return timezone
        case .roleid: return role?.description
        case .usrgrps: return nil
        }
    }

    /// The fields as the API's rule tree reads them, in the order given: the service checks typed
    /// callers (the web UI, the command line) against the same rules and messages as the API.
    var json: JSONObject {
        var object = JSONObject()
        for field in given {
            switch field {
            case .autologin: autologin.map { object[field.rawValue] = .int($0 ? 1 : 0) }
            case .rowsPerPage: rowsPerPage.map { object[field.rawValue] = .int($0) }
            case .roleid: role.map { object[field.rawValue] = .string($0.description) }
            case .usrgrps: groups.map { object[field.rawValue] = .array($0.map { ["usrgrpid": .string($0.description)] }) }
            default: text(of: field).map { object[field.rawValue] = .string($0) }
            }
        }
        if let currentPassword { object["current_passwd"] = .string(currentPassword) }
        return object
    }
}
