/// The rows Zabbix ships (data.sql): four roles, five user groups, Admin and guest, the next ids.
/// Passwords are set at first start by `Bootstrap`, never shipped.
enum DefaultData {
    static let statements: [String] = roles + roleRules + groups + users + memberships + ids + settings

    static let roles = [
        "INSERT INTO role (roleid, name, type, readonly) VALUES (1, 'User role', 1, 0)",
        "INSERT INTO role (roleid, name, type, readonly) VALUES (2, 'Admin role', 2, 0)",
        "INSERT INTO role (roleid, name, type, readonly) VALUES (3, 'Super admin role', 3, 1)",
        "INSERT INTO role (roleid, name, type, readonly) VALUES (4, 'Guest role', 1, 0)",
    ]

    static var roleRules: [String] {
        var rows: [String] = []
        var id = 1
        func rule(_ roleid: Int, _ name: String, _ value: Int) {
            rows.append("INSERT INTO role_rule (role_ruleid, roleid, type, name, value_int) VALUES (\(id), \(roleid), 0, '\(name)', \(value))")
            id += 1
        }
        for roleid in 1...3 {
            rule(roleid, "ui.default_access", 1)
            rule(roleid, "services.read", 1)
            rule(roleid, "services.write", roleid == 1 ? 0 : 1)
            rule(roleid, "modules.default_access", 1)
            rule(roleid, "api.access", 1)
            rule(roleid, "api.mode", 0)
            rule(roleid, "actions.default_access", 1)
        }
        rule(4, "ui.default_access", 1)
        rule(4, "services.read", 1)
        rule(4, "services.write", 0)
        rule(4, "modules.default_access", 1)
        rule(4, "api.access", 0)
        rule(4, "actions.default_access", 0)
        return rows
    }

    static let groups = [
        "INSERT INTO usrgrp (usrgrpid, name, gui_access, users_status, debug_mode) VALUES (7, 'Zabbix administrators', 0, 0, 0)",
        "INSERT INTO usrgrp (usrgrpid, name, gui_access, users_status, debug_mode) VALUES (8, 'Guests', 1, 0, 0)",
        "INSERT INTO usrgrp (usrgrpid, name, gui_access, users_status, debug_mode) VALUES (9, 'Disabled', 0, 1, 0)",
        "INSERT INTO usrgrp (usrgrpid, name, gui_access, users_status, debug_mode) VALUES (11, 'Enabled debug mode', 0, 0, 1)",
        "INSERT INTO usrgrp (usrgrpid, name, gui_access, users_status, debug_mode) VALUES (12, 'No access to the frontend', 3, 0, 0)",
    ]

    static let users = [
        """
        INSERT INTO users (userid, username, name, surname, passwd, autologin, autologout, refresh, rows_per_page, roleid)
        VALUES (1, 'Admin', 'Zabbix', 'Administrator', '', 1, '0', '30s', 50, 3)
        """,
        """
        INSERT INTO users (userid, username, name, surname, passwd, autologin, autologout, refresh, rows_per_page, roleid)
        VALUES (2, 'guest', '', '', '', 0, '15m', '30s', 50, 4)
        """,
    ]

    static let memberships = [
        "INSERT INTO users_groups (id, usrgrpid, userid) VALUES (2, 8, 2)",
        "INSERT INTO users_groups (id, usrgrpid, userid) VALUES (3, 9, 2)",
        "INSERT INTO users_groups (id, usrgrpid, userid) VALUES (4, 7, 1)",
    ]

    /// The next ids of a fresh Zabbix 6.0 database (users spec §0.4).
    static let ids = [
        ("users", "userid", 3), ("usrgrp", "usrgrpid", 13), ("role", "roleid", 5), ("role_rule", "role_ruleid", 28),
        ("users_groups", "id", 5), ("token", "tokenid", 1),
    ].map { "INSERT INTO ids (table_name, field_name, nextid) VALUES ('\($0.0)', '\($0.1)', \($0.2))" }

    static let settings = Settings.defaults.map { "INSERT INTO settings (name, value) VALUES ('\($0.0)', '\($0.1)')" }
}
