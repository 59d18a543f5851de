/// A stored user as authentication sees it: the `users` row, its password hash, and what the user's
/// role and groups give. What `user.login` and `user.checkAuthentication` return is built from it.
struct UserAccount: Sendable {
    let id: UserID
    var names: UserNames
    var url: String
    var autologin: Int64
    /// As stored: a time unit (`15m`) or "0" (never signed out for inactivity).
    var autologout: String
    var lang: String
    var refresh: String
    var theme: String
    var attemptFailed: Int64
    var attemptIP: String
    var attemptClock: Int64
    var rowsPerPage: Int64
    var timezone: String
    var roleid: RoleID
    var passwordHash: String
    /// The type of the user's role (nil for a role that is gone).
    var roleType: UserType?
    /// Over all the user's groups: disabled if any is, the highest frontend access, debug if any has it.
    var groupStatus: GroupStatus
    var guiAccess: GUIAccess
    var debugMode: DebugMode

    var username: String { names.username }
    var isDisabled: Bool { groupStatus == .disabled }
    var isGuest: Bool { names.username == "guest" }

    /// The row's columns as the API prints them (every value a string), in `output: "extend"` order —
    /// the order of `SchemaCatalogue.users`, which a test holds them to.
    var apiColumns: KeyValuePairs<String, String> {
        [
            "userid": id.description, "username": names.username, "name": names.name, "surname": names.surname, "url": url,
            "autologin": String(autologin), "autologout": autologout, "lang": lang, "refresh": refresh, "theme": theme,
            "attempt_failed": String(attemptFailed), "attempt_ip": attemptIP, "attempt_clock": String(attemptClock),
            "rows_per_page": String(rowsPerPage), "timezone": timezone, "roleid": roleid.description,
        ]
    }

    /// The stored value of a field as the audit log shows it (nil for the password and the groups,
    /// which are not columns the log compares).
    func text(of field: UserField) -> String? {
        switch field {
        case .username: return names.username
        case .name: return names.name
        case .surname: return names.surname
        case .url: return url
        case .autologin: return String(autologin)
        case .autologout: return autologout
        case .lang: return lang
        case .refresh: return refresh
        case .theme: return theme
        case .rowsPerPage: return String(rowsPerPage)
        case .timezone: return timezone
        case .roleid: return roleid.description
        case .passwd, .usrgrps: return nil
        }
    }

    /// The principal this account acts as, once authenticated with `credential`.
    func principal(_ credential: Credential, rules: RoleRules) -> Principal {
        Principal(id: id, username: names.username, roleid: roleid, type: roleType ?? .user, credential: credential, rules: rules)
    }

    /// `username (name surname)`, as the lists show users.
    static func fullName(_ username: String, _ name: String, _ surname: String) -> String {
        let rest = [name, surname].filter { !$0.isEmpty }.joined(separator: " ")
        return rest.isEmpty ? username : "\(username) (\(rest))"
    }
}
