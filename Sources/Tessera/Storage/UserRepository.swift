import SQLKit

/// The `users` table: the only code that reads or writes it (with what authentication derives from a
/// user's role and groups).
enum UserRepository {
    static let table = SchemaCatalogue.users.api

    static func account(_ db: any SQLDatabase, id: UserID) async throws -> UserAccount? {
        try await account(db, where: "u.userid = \(bind: id.value)")
    }

    /// Exact, case-sensitive username match.
    static func account(_ db: any SQLDatabase, username: String) async throws -> UserAccount? {
        try await account(db, where: "u.username = \(bind: username)")
    }

    private static func account(_ db: any SQLDatabase, where condition: SQLQueryString) async throws -> UserAccount? {
        let query: SQLQueryString =
            """
            SELECT u.*, r.type AS role_type,
                (SELECT COALESCE(MAX(g.users_status), 0) FROM users_groups ug JOIN usrgrp g ON g.usrgrpid = ug.usrgrpid WHERE ug.userid = u.userid) AS group_status,
                (SELECT COALESCE(MAX(g.gui_access), 0) FROM users_groups ug JOIN usrgrp g ON g.usrgrpid = ug.usrgrpid WHERE ug.userid = u.userid) AS group_gui,
                (SELECT COALESCE(MAX(g.debug_mode), 0) FROM users_groups ug JOIN usrgrp g ON g.usrgrpid = ug.usrgrpid WHERE ug.userid = u.userid) AS group_debug
            FROM users u LEFT JOIN role r ON r.roleid = u.roleid WHERE
            """ + " " + condition
        guard let row = try await db.raw(query).first() else { return nil }
        func text(_ column: String) throws -> String { try row.decode(column: column, as: String.self) }
        func int(_ column: String) throws -> Int64 { try row.decode(column: column, as: Int64.self) }
        return UserAccount(
            id: UserID(try int("userid")),
            names: UserNames(username: try text("username"), name: try text("name"), surname: try text("surname")),
            url: try text("url"),
            autologin: try int("autologin"),
            autologout: try text("autologout"),
            lang: try text("lang"),
            refresh: try text("refresh"),
            theme: try text("theme"),
            attemptFailed: try int("attempt_failed"),
            attemptIP: try text("attempt_ip"),
            attemptClock: try int("attempt_clock"),
            rowsPerPage: try int("rows_per_page"),
            timezone: try text("timezone"),
            roleid: RoleID(try int("roleid")),
            passwordHash: try text("passwd"),
            roleType: try row.decode(column: "role_type", as: Int?.self).flatMap { UserType(rawValue: $0) },
            groupStatus: GroupStatus(rawValue: try row.decode(column: "group_status", as: Int.self)) ?? .disabled,
            guiAccess: GUIAccess(rawValue: try row.decode(column: "group_gui", as: Int.self)) ?? .disabled,
            debugMode: DebugMode(rawValue: try row.decode(column: "group_debug", as: Int.self)) ?? .disabled
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

    /// The conditions of a user query: these ids, members of these groups, and the caller's visibility.
    static func conditions(ids: [Int64]?, groupids: [Int64]?, visibleTo caller: Principal, editable: Bool) -> Conditions {
        var conditions = Conditions()
        if let visible = visibility(for: caller, editable: editable) { conditions.add(visible) }
        if let ids { conditions.add(.among("userid", ids)) }
        if let groupids { conditions.add("userid IN (SELECT userid FROM users_groups WHERE " + .among("usrgrpid", groupids) + SQLQueryString(")")) }
        return conditions
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

    /// Whether a user has this username.
    static func usernameTaken(_ db: any SQLDatabase, _ username: String) async throws -> Bool {
        try await db.raw("SELECT 1 AS x FROM users WHERE username = \(bind: username)").first() != nil
    }

    /// The role of a user (0 when it has none or does not exist).
    static func roleid(_ db: any SQLDatabase, of userid: String) async throws -> String {
        String(
            try await db.raw("SELECT roleid FROM users WHERE userid = \(bind: Int64(userid) ?? -1)").first()?.decode(column: "roleid", as: Int64.self)
                ?? 0
        )
    }

    /// Adds a user with the given columns (`fields` without `usrgrps`; `passwd` a hash).
    static func insert(_ db: any SQLDatabase, id: UserID, passwordHash: String, _ fields: UserFields) async throws {
        var columns = ["userid", "passwd"]
        var values: [SQLQueryString] = ["\(bind: id.value)", "\(bind: passwordHash)"]
        for field in fields.given where field != .passwd {
            guard let column = column(field, of: fields) else { continue }
            columns.append(field.rawValue)
            values.append(column)
        }
        try await db.raw("INSERT INTO users (\(unsafeRaw: columns.joined(separator: ", "))) VALUES (" + values.joined(separator: ", ") + ")").run()
    }

    /// Writes the given columns of a user (`passwordHash` when the password changes).
    static func update(_ db: any SQLDatabase, id: UserID, _ fields: UserFields, columns changed: [UserField], passwordHash: String?) async throws {
        var sets: [SQLQueryString] = []
        for field in changed {
            if field == .passwd, let passwordHash {
                sets.append("passwd = \(bind: passwordHash)")
            } else if let value = column(field, of: fields) {
                sets.append("\(unsafeRaw: field.rawValue) = " + value)
            }
        }
        guard !sets.isEmpty else { return }
        try await db.raw("UPDATE users SET " + sets.joined(separator: ", ") + " WHERE userid = \(bind: id.value)").run()
    }

    /// A field's value bound for its column; nil for what is no column of `users` (`usrgrps`, `passwd`).
    private static func column(_ field: UserField, of fields: UserFields) -> SQLQueryString? {
        switch field {
        case .usrgrps, .passwd: return nil
        case .autologin: return fields.autologin.map { "\(bind: $0 ? 1 : 0)" }
        case .rowsPerPage: return fields.rowsPerPage.map { "\(bind: $0)" }
        case .roleid: return fields.role.map { "\(bind: $0.value)" }
        default: return fields.text(of: field).map { "\(bind: $0)" }
        }
    }

    static func delete(_ db: any SQLDatabase, ids: [UserID]) async throws {
        try await db.raw("DELETE FROM users WHERE " + .among("userid", ids.map(\.value))).run()
    }

    /// How many of these users exist.
    static func count(_ db: any SQLDatabase, ids: [UserID]) async throws -> Int {
        try await db.raw("SELECT COUNT(*) AS n FROM users WHERE " + .among("userid", ids.map(\.value))).first()?.decode(column: "n", as: Int.self)
            ?? 0
    }

    /// Forgets failed login attempts (`user.unblock`, a successful login).
    static func resetFailedLogins(_ db: any SQLDatabase, ids: [UserID]) async throws {
        try await db.raw("UPDATE users SET attempt_failed = 0 WHERE " + .among("userid", ids.map(\.value))).run()
    }

    /// Counts a login attempt before its password is checked, unless the account is blocked (`limit`
    /// failures, the last less than `blockSeconds` ago): the failures before this attempt, or nil when
    /// blocked. The attempt's time is noted at once, so parallel attempts see the block as soon as the
    /// count reaches the limit; `endLoginAttempt` or `recordFailedPassword` then settle it.
    static func claimLoginAttempt(_ db: any SQLDatabase, id: UserID, at now: Int64, limit: Int, blockSeconds: Int) async throws -> Int64? {
        let row = try await db.raw(
            """
            UPDATE users SET attempt_failed = attempt_failed + 1, attempt_clock = \(bind: now)
            WHERE userid = \(bind: id.value) AND (attempt_failed < \(bind: limit) OR attempt_clock <= \(bind: now - Int64(blockSeconds)))
            RETURNING attempt_failed
            """
        ).first()
        return try row.map { try $0.decode(column: "attempt_failed", as: Int64.self) - 1 }
    }

    /// A claimed attempt whose password was right: no failures, and the time of the last failure as it was.
    static func endLoginAttempt(_ db: any SQLDatabase, id: UserID, restoringClock clock: Int64) async throws {
        try await db.raw("UPDATE users SET attempt_failed = 0, attempt_clock = \(bind: clock) WHERE userid = \(bind: id.value)").run()
    }

    /// A claimed attempt whose password was wrong: where and when it came from (it is counted already).
    static func recordFailedPassword(_ db: any SQLDatabase, id: UserID, ip: String, at now: Int64) async throws {
        try await db.raw(
            "UPDATE users SET attempt_clock = \(bind: now), attempt_ip = \(bind: String(ip.prefix(39))) WHERE userid = \(bind: id.value)"
        ).run()
    }

    /// The first of these users (by id) that is in no user group.
    static func firstWithoutGroup(_ db: any SQLDatabase, among ids: [UserID]) async throws -> String? {
        try await db.raw(
            "SELECT username FROM users u WHERE " + .among("u.userid", ids.map(\.value))
                + " AND NOT EXISTS (SELECT 1 FROM users_groups ug WHERE ug.userid = u.userid) ORDER BY userid"
        ).first()?.decode(column: "username", as: String.self)
    }
}
