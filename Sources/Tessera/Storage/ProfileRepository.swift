import SQLKit

/// The `profiles` table: per-user UI memory (filters, sorting, page numbers), like Zabbix's.
enum ProfileRepository {
    static func values(_ db: any SQLDatabase, userid: UserID, prefix: String) async throws -> [String: String] {
        let rows = try await db.raw(
            "SELECT idx, value FROM profiles WHERE userid = \(bind: userid.value) AND idx LIKE \(bind: prefix + "%")"
        ).all()
        var result: [String: String] = [:]
        for row in rows { result[try row.decode(column: "idx", as: String.self)] = try row.decode(column: "value", as: String.self) }
        return result
    }

    /// Writes the given values and deletes the keys mapped to nil.
    static func store(_ db: any SQLDatabase, userid: UserID, _ values: [String: String?]) async throws {
        for (idx, value) in values {
            try await db.raw("DELETE FROM profiles WHERE userid = \(bind: userid.value) AND idx = \(bind: idx)").run()
            if let value {
                try await db.raw("INSERT INTO profiles (userid, idx, value) VALUES (\(bind: userid.value), \(bind: idx), \(bind: value))").run()
            }
        }
    }
}
