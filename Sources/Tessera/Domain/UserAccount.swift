/// A user row with what authentication derives from it: the role's type and the flags of its groups.
struct UserAccount: Sendable {
    /// Every column of `users` except `passwd`, as the API prints them, in `output: "extend"` order.
    var fields: JSONObject
    var passwordHash: String
    var roleType: Int
    /// Over all the user's groups: disabled if any is disabled, highest frontend access, debug if any has it.
    var usersStatus: Int
    var guiAccess: Int
    var debugMode: Int

    var userid: String { fields["userid"]?.stringValue ?? "0" }
    var username: String { fields["username"]?.stringValue ?? "" }
    var roleid: String { fields["roleid"]?.stringValue ?? "0" }
    var isDisabled: Bool { usersStatus == 1 }

    func string(_ column: String) -> String { fields[column]?.stringValue ?? "" }
    func int(_ column: String) -> Int { Int(string(column)) ?? 0 }

    /// The principal this account acts as, once authenticated with `credential`.
    func principal(_ credential: Credential, rules: RoleRules) -> Principal {
        Principal(
            id: UserID(userid) ?? UserID(0),
            username: username,
            roleid: roleid,
            type: UserType(rawValue: roleType) ?? .user,
            credential: credential,
            debugMode: debugMode,
            guiAccess: guiAccess,
            rules: rules
        )
    }

    /// `username (name surname)`, as the lists show users.
    static func fullName(_ username: String, _ name: String, _ surname: String) -> String {
        let rest = [name, surname].filter { !$0.isEmpty }.joined(separator: " ")
        return rest.isEmpty ? username : "\(username) (\(rest))"
    }
}
