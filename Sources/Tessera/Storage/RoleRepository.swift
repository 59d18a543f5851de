import SQLKit

/// Reads of role rules.
enum RoleRepository {
    static func exists(_ db: any SQLDatabase, roleid: String) async throws -> Bool {
        try await db.raw("SELECT 1 AS x FROM role WHERE roleid = \(bind: Int64(roleid) ?? -1)").first() != nil
    }

    static func rules(_ db: any SQLDatabase, roleid: String) async throws -> RoleRules {
        let rows = try await db.raw(
            "SELECT name, value_int, value_str FROM role_rule WHERE roleid = \(bind: Int64(roleid) ?? -1) ORDER BY role_ruleid"
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
}
