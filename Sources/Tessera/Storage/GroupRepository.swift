import SQLKit

/// The `usrgrp` and `users_groups` tables: every statement of the group service, and the memberships
/// the user service reads and writes (MARK: For the user service).
enum GroupRepository {
    static let table = Table(
        name: "usrgrp",
        primaryKey: "usrgrpid",
        columns: [("usrgrpid", .id), ("name", .text), ("gui_access", .int), ("users_status", .int), ("debug_mode", .int)]
    )

    /// Reads a row of every column of `table` (unknown flags as their defaults).
    static func group(_ row: any SQLRow) throws -> UserGroup {
        UserGroup(
            id: UserGroupID(try row.decode(column: "usrgrpid", as: Int64.self)),
            name: try row.decode(column: "name", as: String.self),
            guiAccess: GUIAccess(rawValue: try row.decode(column: "gui_access", as: Int.self)) ?? .systemDefault,
            status: GroupStatus(rawValue: try row.decode(column: "users_status", as: Int.self)) ?? .enabled,
            debugMode: DebugMode(rawValue: try row.decode(column: "debug_mode", as: Int.self)) ?? .disabled
        )
    }

    // MARK: - Groups

    /// The groups a query finds, or their number; `conditions` carry the caller's limits.
    static func find(_ db: any SQLDatabase, _ options: GetOptions, _ conditions: Conditions) async throws -> GetQuery.Listed<UserGroup> {
        try await GetQuery.fetch(db, table, options, conditions, columns: table.columnNames, decode: group)
    }

    /// The groups among `ids` that exist, by id.
    static func existing(_ db: any SQLDatabase, ids: [UserGroupID]) async throws -> [UserGroupID: UserGroup] {
        let rows = try await db.raw("SELECT \(names: table.columnNames) FROM usrgrp WHERE " + .among("usrgrpid", ids.map(\.value))).all()
        var groups: [UserGroupID: UserGroup] = [:]
        for row in rows {
            let group = try group(row)
            groups[group.id] = group
        }
        return groups
    }

    /// The id of the group with exactly this name.
    static func id(_ db: any SQLDatabase, named name: String) async throws -> UserGroupID? {
        try await db.raw("SELECT usrgrpid FROM usrgrp WHERE name = \(bind: name)").first().map {
            UserGroupID(try $0.decode(column: "usrgrpid", as: Int64.self))
        }
    }

    static func insert(_ db: any SQLDatabase, _ group: UserGroup) async throws {
        try await db.raw(
            """
            INSERT INTO usrgrp (usrgrpid, name, gui_access, users_status, debug_mode)
            VALUES (\(bind: group.id.value), \(bind: group.name), \(bind: group.guiAccess.rawValue), \(bind: group.status.rawValue),
                \(bind: group.debugMode.rawValue))
            """
        ).run()
    }

    /// Writes the fields of `group` named in `fields` (`users` is not a column: `setMembers`).
    static func update(_ db: any SQLDatabase, _ group: UserGroup, fields: [UserGroupField]) async throws {
        var sets: [SQLQueryString] = []
        for field in fields {
            switch field {
            case .name: sets.append("name = \(bind: group.name)")
            case .guiAccess: sets.append("gui_access = \(bind: group.guiAccess.rawValue)")
            case .status: sets.append("users_status = \(bind: group.status.rawValue)")
            case .debugMode: sets.append("debug_mode = \(bind: group.debugMode.rawValue)")
            case .users: continue
            }
        }
        guard !sets.isEmpty else { return }
        try await db.raw("UPDATE usrgrp SET " + sets.joined(separator: ", ") + " WHERE usrgrpid = \(bind: group.id.value)").run()
    }

    /// Deletes groups with their memberships.
    static func delete(_ db: any SQLDatabase, ids: [UserGroupID]) async throws {
        try await db.raw("DELETE FROM usrgrp WHERE " + .among("usrgrpid", ids.map(\.value))).run()
    }

    // MARK: - Members

    /// The members of a group by userid, each with the given columns of `UserRepository.table` as `user.get` prints them.
    static func members(_ db: any SQLDatabase, of group: UserGroupID, columns: [String]) async throws -> [(id: UserID, fields: JSONObject)] {
        let users = UserRepository.table
        let rows = try await db.raw(
            """
            SELECT \(unsafeRaw: users.columnNames.map { "u." + $0 }.joined(separator: ", ")) FROM users u
            JOIN users_groups ug ON ug.userid = u.userid WHERE ug.usrgrpid = \(bind: group.value) ORDER BY u.userid
            """
        ).all()
        return try rows.map { (UserID(try $0.decode(column: "userid", as: Int64.self)), try users.decode($0, columns: columns)) }
    }

    /// The membership rows a `setMembers` removed and added, by `users_groups` id.
    struct MembershipChange {
        var removed: [Int64] = []
        var added: [(id: Int64, user: UserID)] = []
    }

    /// Replaces the members of a group; members that stay keep their rows.
    static func setMembers(_ db: any SQLDatabase, of group: UserGroupID, to users: [UserID]) async throws -> MembershipChange {
        var change = MembershipChange()
        var staying = Set<UserID>()
        for row in try await db.raw("SELECT id, userid FROM users_groups WHERE usrgrpid = \(bind: group.value) ORDER BY id").all() {
            let id = try row.decode(column: "id", as: Int64.self)
            let user = UserID(try row.decode(column: "userid", as: Int64.self))
            if users.contains(user) {
                staying.insert(user)
            } else {
                try await db.raw("DELETE FROM users_groups WHERE id = \(bind: id)").run()
                change.removed.append(id)
            }
        }
        let added = users.filter { !staying.contains($0) }
        var next = try await IDAllocator.reserve(db, table: "users_groups", field: "id", count: added.count)
        for user in added {
            try await db.raw("INSERT INTO users_groups (id, usrgrpid, userid) VALUES (\(bind: next), \(bind: group.value), \(bind: user.value))")
                .run()
            change.added.append((next, user))
            next += 1
        }
        return change
    }

    /// The group flags of each of the users that is in a group.
    static func flags(_ db: any SQLDatabase, of users: [UserID]) async throws -> [UserID: GroupFlags] {
        let rows = try await db.raw(
            """
            SELECT ug.userid, MAX(g.gui_access) AS gui, MAX(g.debug_mode) AS debug, MAX(g.users_status) AS status
            FROM users_groups ug JOIN usrgrp g ON g.usrgrpid = ug.usrgrpid WHERE
            """ + " " + .among("ug.userid", users.map(\.value)) + " GROUP BY ug.userid"
        ).all()
        var flags: [UserID: GroupFlags] = [:]
        for row in rows {
            flags[UserID(try row.decode(column: "userid", as: Int64.self))] = GroupFlags(
                guiAccess: GUIAccess(rawValue: try row.decode(column: "gui", as: Int.self)) ?? .systemDefault,
                debugMode: DebugMode(rawValue: try row.decode(column: "debug", as: Int.self)) ?? .disabled,
                status: GroupStatus(rawValue: try row.decode(column: "status", as: Int.self)) ?? .enabled
            )
        }
        return flags
    }

    /// The username of the first user (by id) who is in no group.
    static func firstWithoutGroup(_ db: any SQLDatabase) async throws -> String? {
        try await db.raw(
            "SELECT username FROM users u WHERE NOT EXISTS (SELECT 1 FROM users_groups ug WHERE ug.userid = u.userid) ORDER BY userid"
        ).first()?.decode(column: "username", as: String.self)
    }

    // MARK: - For the user service

    /// The group ids of each of the given users, in the order they joined.
    static func memberships(_ db: any SQLDatabase, of users: [UserID]) async throws -> [UserID: [UserGroupID]] {
        let rows = try await db.raw(
            "SELECT userid, usrgrpid FROM users_groups WHERE " + .among("userid", users.map(\.value)) + " ORDER BY id"
        ).all()
        var result: [UserID: [UserGroupID]] = [:]
        for row in rows {
            result[UserID(try row.decode(column: "userid", as: Int64.self)), default: []]
                .append(UserGroupID(try row.decode(column: "usrgrpid", as: Int64.self)))
        }
        return result
    }

    /// Replaces a user's memberships; returns the audit details of the rows added and removed.
    static func setMemberships(_ db: any SQLDatabase, of user: UserID, to groups: [UserGroupID]) async throws -> [(String, JSON)] {
        let rows = try await db.raw("SELECT id, usrgrpid FROM users_groups WHERE userid = \(bind: user.value) ORDER BY id").all()
        var existing: [UserGroupID: Int64] = [:]
        for row in rows { existing[UserGroupID(try row.decode(column: "usrgrpid", as: Int64.self))] = try row.decode(column: "id", as: Int64.self) }
        var details: [(String, JSON)] = []
        for (group, id) in existing where !groups.contains(group) {
            try await db.raw("DELETE FROM users_groups WHERE id = \(bind: id)").run()
            details.append(("user.usrgrps[\(id)]", ["delete"]))
        }
        let added = groups.filter { existing[$0] == nil }
        var next = try await IDAllocator.reserve(db, table: "users_groups", field: "id", count: added.count)
        for group in added {
            try await db.raw(
                "INSERT INTO users_groups (id, usrgrpid, userid) VALUES (\(bind: next), \(bind: group.value), \(bind: user.value))"
            ).run()
            details.append(("user.usrgrps[\(next)]", ["add"]))
            details.append(("user.usrgrps[\(next)].usrgrpid", ["add", .string(group.description)]))
            details.append(("user.usrgrps[\(next)].id", ["add", .string(String(next))]))
            next += 1
        }
        return details
    }

    /// Userids that would keep the readonly Super admin role and stay active (in a group, none disabled,
    /// frontend access not disabled), leaving out `excluded`.
    static func activeSuperAdmins(_ db: any SQLDatabase, excluding excluded: [UserID]) async throws -> Int {
        var query: SQLQueryString =
            """
            SELECT COUNT(*) AS n FROM users u JOIN role r ON r.roleid = u.roleid
            WHERE r.readonly = 1
              AND EXISTS (SELECT 1 FROM users_groups ug WHERE ug.userid = u.userid)
              AND NOT EXISTS (SELECT 1 FROM users_groups ug JOIN usrgrp g ON g.usrgrpid = ug.usrgrpid
                              WHERE ug.userid = u.userid AND (g.users_status = 1 OR g.gui_access = 3))
            """
        if !excluded.isEmpty { query += " AND NOT (" + .among("u.userid", excluded.map(\.value)) + ")" }
        return try await db.raw(query).first()?.decode(column: "n", as: Int.self) ?? 0
    }
}

extension GroupRepository {
    /// A group query's conditions for a caller whose reads are limited to `member`'s groups (nil: none).
    static func conditions(_ query: UserGroupQuery, limitedTo member: UserID?) -> Conditions {
        var conditions = Conditions()
        if let member { conditions.add("usrgrpid IN (SELECT usrgrpid FROM users_groups WHERE userid = \(bind: member.value))") }
        if let ids = query.ids { conditions.add(.among("usrgrpid", ids.map(\.value))) }
        if let ofUsers = query.ofUsers {
            let member: SQLQueryString = "usrgrpid IN (SELECT usrgrpid FROM users_groups WHERE " + .among("userid", ofUsers.map(\.value)) + ")"
            conditions.add(member)
        }
        if let status = query.status { conditions.add("users_status = \(bind: status.rawValue)") }
        return conditions
    }
}
