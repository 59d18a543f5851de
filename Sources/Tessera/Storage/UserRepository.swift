import SQLKit

/// Reads of users, their groups and roles needed by authentication and the user methods.
enum UserRepository {
    static let table = Table(
        name: "users",
        primaryKey: "userid",
        columns: [
            ("userid", .id), ("username", .text), ("name", .text), ("surname", .text), ("url", .text),
            ("autologin", .int), ("autologout", .text), ("lang", .text), ("refresh", .text), ("theme", .text),
            ("attempt_failed", .int), ("attempt_ip", .text), ("attempt_clock", .int), ("rows_per_page", .int),
            ("timezone", .text), ("roleid", .id),
        ]
    )

    static func account(_ db: any SQLDatabase, userid: String) async throws -> UserAccount? {
        try await account(db, where: "u.userid = \(bind: Int64(userid) ?? -1)")
    }

    /// Exact, case-sensitive username match.
    static func account(_ db: any SQLDatabase, username: String) async throws -> UserAccount? {
        try await account(db, where: "u.username = \(bind: username)")
    }

    private static func account(_ db: any SQLDatabase, where condition: SQLQueryString) async throws -> UserAccount? {
        let columns = table.columnNames.map { "u." + $0 }.joined(separator: ", ")
        let query: SQLQueryString =
            """
            SELECT \(unsafeRaw: columns), u.passwd, r.type AS role_type,
                (SELECT COALESCE(MAX(g.users_status), 0) FROM users_groups ug JOIN usrgrp g ON g.usrgrpid = ug.usrgrpid WHERE ug.userid = u.userid) AS group_status,
                (SELECT COALESCE(MAX(g.gui_access), 0) FROM users_groups ug JOIN usrgrp g ON g.usrgrpid = ug.usrgrpid WHERE ug.userid = u.userid) AS group_gui,
                (SELECT COALESCE(MAX(g.debug_mode), 0) FROM users_groups ug JOIN usrgrp g ON g.usrgrpid = ug.usrgrpid WHERE ug.userid = u.userid) AS group_debug
            FROM users u LEFT JOIN role r ON r.roleid = u.roleid WHERE
            """ + " " + condition
        guard let row = try await db.raw(query).first() else { return nil }
        return UserAccount(
            fields: try table.decode(row, columns: table.columnNames),
            passwordHash: try row.decode(column: "passwd", as: String.self),
            roleType: try row.decode(column: "role_type", as: Int?.self) ?? 0,
            usersStatus: try row.decode(column: "group_status", as: Int.self),
            guiAccess: try row.decode(column: "group_gui", as: Int.self),
            debugMode: try row.decode(column: "group_debug", as: Int.self)
        )
    }

    /// The users a caller may see (users spec §1.1): a Super admin every user; anyone else themself and
    /// the members of their groups, or only themself when asking for what they may edit. Nil: no limit.
    static func visibility(for caller: Principal, editable: Bool) -> SQLQueryString? {
        guard !caller.isSuperAdmin else { return nil }
        let me = caller.id.value
        if editable { return "userid = \(bind: me)" }
        return """
            userid IN (SELECT b.userid FROM users_groups a JOIN users_groups b ON a.usrgrpid = b.usrgrpid
                       WHERE a.userid = \(bind: me)) OR userid = \(bind: me)
            """
    }

    /// The usernames, names and surnames of those of the users that the caller may see.
    static func names(_ db: any SQLDatabase, of ids: [UserID], for caller: Principal) async throws -> [UserID: UserNames] {
        guard !ids.isEmpty else { return [:] }
        var conditions = Conditions()
        conditions.add(.among("userid", ids.map(\.value)))
        if let visible = visibility(for: caller, editable: false) { conditions.add(visible) }
        var names: [UserID: UserNames] = [:]
        for row in try await db.raw("SELECT userid, username, name, surname FROM users" + conditions.clause).all() {
            names[UserID(try row.decode(column: "userid", as: Int64.self))] = UserNames(
                username: try row.decode(column: "username", as: String.self),
                name: try row.decode(column: "name", as: String.self),
                surname: try row.decode(column: "surname", as: String.self)
            )
        }
        return names
    }

    /// Every user the caller may see, by username, with their names.
    static func everyone(_ db: any SQLDatabase, for caller: Principal) async throws -> [(id: UserID, names: UserNames)] {
        var conditions = Conditions()
        if let visible = visibility(for: caller, editable: false) { conditions.add(visible) }
        return try await db.raw("SELECT userid, username, name, surname FROM users" + conditions.clause + " ORDER BY username").all().map {
            (
                UserID(try $0.decode(column: "userid", as: Int64.self)),
                UserNames(
                    username: try $0.decode(column: "username", as: String.self),
                    name: try $0.decode(column: "name", as: String.self),
                    surname: try $0.decode(column: "surname", as: String.self)
                )
            )
        }
    }

    /// The id of the user with exactly this username, if the caller may see them.
    static func userid(_ db: any SQLDatabase, named username: String, for caller: Principal) async throws -> UserID? {
        var conditions = Conditions()
        conditions.add("username = \(bind: username)")
        if let visible = visibility(for: caller, editable: false) { conditions.add(visible) }
        return try await db.raw("SELECT userid FROM users" + conditions.clause).first().map {
            UserID(try $0.decode(column: "userid", as: Int64.self))
        }
    }

    static func exists(_ db: any SQLDatabase, userid: String) async throws -> Bool {
        try await db.raw("SELECT 1 AS x FROM users WHERE userid = \(bind: Int64(userid) ?? -1)").first() != nil
    }
}
