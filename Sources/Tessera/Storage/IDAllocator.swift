import SQLKit

/// Allocates primary keys from the `ids` table as Zabbix does: monotonic, never reused.
/// Runs inside the caller's transaction, so a failed request gives its ids back.
enum IDAllocator {
    /// Reserves `count` consecutive ids for `table.field` and returns the first.
    static func reserve(_ db: any SQLDatabase, table: String, field: String, count: Int) async throws -> Int64 {
        guard count > 0 else { return 0 }
        let row = try await db.raw(
            """
            UPDATE ids SET nextid = nextid + \(bind: count)
            WHERE table_name = \(bind: table) AND field_name = \(bind: field)
            RETURNING nextid
            """
        ).first()
        guard let next = try row?.decode(column: "nextid", as: Int64.self) else {
            throw ConfigurationError("ids row missing for \(table).\(field)")
        }
        return next - Int64(count)
    }
}
