import SQLKit

/// The `changelog` table (SQLite only: PostgreSQL announces changes with NOTIFY), through which other
/// processes on the same file learn of changes that alter token verdicts (`ChangeFeed`).
enum ChangeLogRepository {
    /// Logs a change and forgets all but the last `kept` ones.
    static func append(_ db: any SQLDatabase, origin: String, payload: String, keeping kept: Int) async throws {
        try await db.raw(
            """
            INSERT INTO changelog (changeid, origin, payload)
            SELECT COALESCE(MAX(changeid), 0) + 1, \(bind: origin), \(bind: payload) FROM changelog
            """
        ).run()
        try await db.raw("DELETE FROM changelog WHERE changeid <= (SELECT MAX(changeid) FROM changelog) - \(bind: kept)").run()
    }

    /// The changes from `from` on (that one included), in order.
    static func entries(_ db: any SQLDatabase, from: Int64) async throws -> [(id: Int64, origin: String, payload: String)] {
        try await db.raw("SELECT changeid, origin, payload FROM changelog WHERE changeid >= \(bind: from) ORDER BY changeid").all().map {
            (
                try $0.decode(column: "changeid", as: Int64.self), try $0.decode(column: "origin", as: String.self),
                try $0.decode(column: "payload", as: String.self)
            )
        }
    }

    /// The id of the last change logged, 0 for none.
    static func latest(_ db: any SQLDatabase) async throws -> Int64 {
        try await db.raw("SELECT COALESCE(MAX(changeid), 0) AS n FROM changelog").first()?.decode(column: "n", as: Int64.self) ?? 0
    }

    /// On PostgreSQL: tells every listening instance, when the transaction commits.
    static func notify(_ db: any SQLDatabase, channel: String, payload: String) async throws {
        try await db.raw("SELECT pg_notify(\(bind: channel), \(bind: payload))").run()
    }
}
