import SQLKit

/// Reads of user groups and memberships.
enum GroupRepository {
    static let table = Table(
        name: "usrgrp",
        primaryKey: "usrgrpid",
        columns: [("usrgrpid", .id), ("name", .text), ("gui_access", .int), ("users_status", .int), ("debug_mode", .int)]
    )

    /// Group rows by id for the given ids that exist.
    static func groups(_ db: any SQLDatabase, ids: [String]) async throws -> [String: JSONObject] {
        let rows = try await db.raw("SELECT * FROM usrgrp WHERE " + .among("usrgrpid", ids.compactMap { Int64($0) })).all()
        var result: [String: JSONObject] = [:]
        for row in rows {
            let object = try table.decode(row, columns: table.columnNames)
            result[object["usrgrpid"]!.stringValue!] = object
        }
        return result
    }

    /// The group ids of each of the given users.
    static func memberships(_ db: any SQLDatabase, userids: [String]) async throws -> [String: [String]] {
        let rows = try await db.raw(
            "SELECT userid, usrgrpid FROM users_groups WHERE " + .among("userid", userids.compactMap { Int64($0) }) + " ORDER BY id"
        ).all()
        var result: [String: [String]] = [:]
        for row in rows {
            result[String(try row.decode(column: "userid", as: Int64.self)), default: []]
                .append(String(try row.decode(column: "usrgrpid", as: Int64.self)))
        }
        return result
    }

    /// Replaces a user's memberships; returns the audit details of the rows added and removed.
    static func setMemberships(_ db: any SQLDatabase, userid: String, groups: [String]) async throws -> [(String, JSON)] {
        let rows = try await db.raw("SELECT id, usrgrpid FROM users_groups WHERE userid = \(bind: Int64(userid)!) ORDER BY id").all()
        var existing: [String: Int64] = [:]
        for row in rows { existing[String(try row.decode(column: "usrgrpid", as: Int64.self))] = try row.decode(column: "id", as: Int64.self) }
        var details: [(String, JSON)] = []
        for (group, id) in existing where !groups.contains(group) {
            try await db.raw("DELETE FROM users_groups WHERE id = \(bind: id)").run()
            details.append(("user.usrgrps[\(id)]", ["delete"]))
        }
        let added = groups.filter { existing[$0] == nil }
        var next = try await IDAllocator.reserve(db, table: "users_groups", field: "id", count: added.count)
        for group in added {
            try await db.raw(
                "INSERT INTO users_groups (id, usrgrpid, userid) VALUES (\(bind: next), \(bind: Int64(group)!), \(bind: Int64(userid)!))"
            ).run()
            details.append(("user.usrgrps[\(next)]", ["add"]))
            details.append(("user.usrgrps[\(next)].usrgrpid", ["add", .string(group)]))
            details.append(("user.usrgrps[\(next)].id", ["add", .string(String(next))]))
            next += 1
        }
        return details
    }

    /// Userids that would keep the readonly Super admin role and stay active (in a group, none disabled,
    /// frontend access not disabled), leaving out `excluded`.
    static func activeSuperAdmins(_ db: any SQLDatabase, excluding excluded: [String]) async throws -> Int {
        var query: SQLQueryString =
            """
            SELECT COUNT(*) AS n FROM users u JOIN role r ON r.roleid = u.roleid
            WHERE r.readonly = 1
              AND EXISTS (SELECT 1 FROM users_groups ug WHERE ug.userid = u.userid)
              AND NOT EXISTS (SELECT 1 FROM users_groups ug JOIN usrgrp g ON g.usrgrpid = ug.usrgrpid
                              WHERE ug.userid = u.userid AND (g.users_status = 1 OR g.gui_access = 3))
            """
        if !excluded.isEmpty { query += " AND NOT (" + .among("u.userid", excluded.compactMap { Int64($0) }) + ")" }
        return try await db.raw(query).first()?.decode(column: "n", as: Int.self) ?? 0
    }
}
