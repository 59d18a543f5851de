import SQLKit

/// The `role` and `role_rule` tables: every statement of the role service, and the rules authentication
/// reads. `UserService` still checks that a user's role exists by itself, and `UserRepository` joins
/// `role` for a user's type.
enum RoleRepository {
    static let table = Table(
        name: "role",
        primaryKey: "roleid",
        columns: [("roleid", .id), ("name", .text), ("type", .int), ("readonly", .int)]
    )

    /// Reads a row of every column of `table` (an unknown type as User).
    static func role(_ row: any SQLRow) throws -> Role {
        Role(
            id: RoleID(try row.decode(column: "roleid", as: Int64.self)),
            name: try row.decode(column: "name", as: String.self),
            type: UserType(rawValue: try row.decode(column: "type", as: Int.self)) ?? .user,
            readonly: try row.decode(column: "readonly", as: Int.self) == 1
        )
    }

    // MARK: - Roles

    /// The roles a query finds, or their number.
    static func find(_ db: any SQLDatabase, _ options: GetOptions, _ conditions: Conditions) async throws -> GetQuery.Listed<Role> {
        try await GetQuery.fetch(db, table, options, conditions, columns: table.columnNames, decode: role)
    }

    /// Every role, by id.
    static func all(_ db: any SQLDatabase) async throws -> [RoleID: Role] {
        var roles: [RoleID: Role] = [:]
        for row in try await db.raw("SELECT \(names: table.columnNames) FROM role").all() {
            let role = try role(row)
            roles[role.id] = role
        }
        return roles
    }

    /// The readonly role (the Super admin role) with the lowest id, if any.
    static func readonly(_ db: any SQLDatabase) async throws -> Role? {
        try await db.raw("SELECT \(names: table.columnNames) FROM role WHERE readonly = 1 ORDER BY roleid").first().map(role)
    }

    /// The id of the role with exactly this name.
    static func id(_ db: any SQLDatabase, named name: String) async throws -> RoleID? {
        try await db.raw("SELECT roleid FROM role WHERE name = \(bind: name)").first().map {
            RoleID(try $0.decode(column: "roleid", as: Int64.self))
        }
    }

    static func insert(_ db: any SQLDatabase, _ role: Role) async throws {
        try await db.raw(
            """
            INSERT INTO role (roleid, name, type, readonly)
            VALUES (\(bind: role.id.value), \(bind: role.name), \(bind: role.type.rawValue), \(bind: role.readonly ? 1 : 0))
            """
        ).run()
    }

    /// Writes the name and the type given (nil: left as stored).
    static func update(_ db: any SQLDatabase, _ id: RoleID, name: String?, type: UserType?) async throws {
        var sets: [SQLQueryString] = []
        if let name { sets.append("name = \(bind: name)") }
        if let type { sets.append("type = \(bind: type.rawValue)") }
        guard !sets.isEmpty else { return }
        try await db.raw("UPDATE role SET " + sets.joined(separator: ", ") + " WHERE roleid = \(bind: id.value)").run()
    }

    /// Deletes roles with their rules.
    static func delete(_ db: any SQLDatabase, ids: [RoleID]) async throws {
        try await db.raw("DELETE FROM role WHERE " + .among("roleid", ids.map(\.value))).run()
    }

    // MARK: - The users of a role

    static func hasUsers(_ db: any SQLDatabase, _ id: RoleID) async throws -> Bool {
        try await db.raw("SELECT 1 AS x FROM users WHERE roleid = \(bind: id.value)").first() != nil
    }

    /// The number of a role's users (of `only` that user, when given).
    static func userCount(_ db: any SQLDatabase, _ id: RoleID, only: UserID? = nil) async throws -> Int64 {
        try await db.raw("SELECT COUNT(*) AS n FROM users WHERE roleid = \(bind: id.value)" + Self.onlyUser(only)).first()?
            .decode(column: "n", as: Int64.self) ?? 0
    }

    /// The users of a role by userid (only `only`, when given), with the given columns of
    /// `UserRepository.table` as `user.get` prints them.
    static func users(_ db: any SQLDatabase, _ id: RoleID, columns: [String], only: UserID? = nil) async throws -> [JSONObject] {
        let users = UserRepository.table
        let rows = try await db.raw(
            "SELECT \(names: users.columnNames) FROM users WHERE roleid = \(bind: id.value)" + Self.onlyUser(only) + " ORDER BY userid"
        ).all()
        return try rows.map { try users.decode($0, columns: columns) }
    }

    private static func onlyUser(_ id: UserID?) -> SQLQueryString { id.map { " AND userid = \(bind: $0.value)" } ?? "" }

    // MARK: - Rules

    /// The rules a role's users act under (authentication, the role gate, the web UI).
    static func rules(_ db: any SQLDatabase, roleid: RoleID) async throws -> RoleRules {
        let rows = try await db.raw(
            "SELECT name, value_int, value_str FROM role_rule WHERE roleid = \(bind: roleid.value) ORDER BY role_ruleid"
        ).all()
        var rules = RoleRules()
        var methods: [(Int, String)] = []
        for row in rows {
            let name = try row.decode(column: "name", as: String.self)
            if name.hasPrefix("api.method.") {
                methods.append((Int(name.dropFirst("api.method.".count)) ?? 0, try row.decode(column: "value_str", as: String.self)))
            } else {
                rules.ints[name] = try row.decode(column: "value_int", as: Int.self)
            }
        }
        rules.apiMethods = methods.sorted { $0.0 < $1.0 }.map(\.1)
        return rules
    }

    /// A role's stored rule rows with their ids, in id order.
    static func storedRules(_ db: any SQLDatabase, _ id: RoleID) async throws -> [(id: Int64, row: RuleSet.Row)] {
        try await db.raw(
            "SELECT role_ruleid, name, type, value_int, value_str FROM role_rule WHERE roleid = \(bind: id.value) ORDER BY role_ruleid"
        ).all().map {
            (
                try $0.decode(column: "role_ruleid", as: Int64.self),
                RuleSet.Row(
                    name: try $0.decode(column: "name", as: String.self),
                    type: try $0.decode(column: "type", as: Int.self),
                    int: try $0.decode(column: "value_int", as: Int.self),
                    str: try $0.decode(column: "value_str", as: String.self)
                )
            )
        }
    }

    /// Writes a role's compiled rows: unchanged rows keep their ids, the others are deleted and inserted.
    static func storeRules(_ db: any SQLDatabase, _ id: RoleID, _ rows: [RuleSet.Row], existing: [(id: Int64, row: RuleSet.Row)] = []) async throws {
        var remaining = existing
        var toInsert: [RuleSet.Row] = []
        for row in rows {
            if let index = remaining.firstIndex(where: { $0.row == row }) { remaining.remove(at: index) } else { toInsert.append(row) }
        }
        if !remaining.isEmpty {
            try await db.raw("DELETE FROM role_rule WHERE " + .among("role_ruleid", remaining.map(\.id))).run()
        }
        var next = try await IDAllocator.reserve(db, table: "role_rule", field: "role_ruleid", count: toInsert.count)
        for row in toInsert {
            try await db.raw(
                """
                INSERT INTO role_rule (role_ruleid, roleid, type, name, value_int, value_str)
                VALUES (\(bind: next), \(bind: id.value), \(bind: row.type), \(bind: row.name), \(bind: row.int), \(bind: row.str))
                """
            ).run()
            next += 1
        }
    }
}
