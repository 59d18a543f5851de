import SQLKit

/// The `sessions` table, which keys sessions by `Secrets.sessionKey`, never by the id itself.
enum SessionRepository {
    /// A session's owner, last use, whether it is still active (status 0) and when it began.
    static func find(
        _ db: any SQLDatabase,
        sessionid: String
    ) async throws -> (userid: UserID, lastaccess: Int64, active: Bool, createdAt: Int64)? {
        guard
            let row = try await db.raw(
                "SELECT userid, lastaccess, status, created_at FROM sessions WHERE sessionid = \(bind: Secrets.sessionKey(sessionid))"
            ).first()
        else { return nil }
        return (
            UserID(try row.decode(column: "userid", as: Int64.self)), try row.decode(column: "lastaccess", as: Int64.self),
            try row.decode(column: "status", as: Int.self) == 0, try row.decode(column: "created_at", as: Int64.self)
        )
    }

    /// Records a use of the session.
    static func touch(_ db: any SQLDatabase, sessionid: String, at now: Int64) async throws {
        try await db.raw("UPDATE sessions SET lastaccess = \(bind: now) WHERE sessionid = \(bind: Secrets.sessionKey(sessionid))").run()
    }

    static func create(_ db: any SQLDatabase, userid: UserID, now: Int64) async throws -> String {
        let sessionid = Secrets.newSessionID()
        try await db.raw(
            "INSERT INTO sessions (sessionid, userid, lastaccess, status, created_at) VALUES (\(bind: Secrets.sessionKey(sessionid)), \(bind: userid.value), \(bind: now), 0, \(bind: now))"
        ).run()
        return sessionid
    }

    /// Ends every session of the user but `kept`.
    static func endAll(_ db: any SQLDatabase, userid: UserID, except kept: String?) async throws {
        if let kept {
            try await db.raw("DELETE FROM sessions WHERE userid = \(bind: userid.value) AND sessionid <> \(bind: Secrets.sessionKey(kept))").run()
        } else {
            try await db.raw("DELETE FROM sessions WHERE userid = \(bind: userid.value)").run()
        }
    }

    /// Drops the user's passive sessions and makes this one passive.
    static func terminate(_ db: any SQLDatabase, sessionid: String, userid: UserID) async throws {
        try await db.raw("DELETE FROM sessions WHERE userid = \(bind: userid.value) AND status = 1").run()
        try await db.raw("UPDATE sessions SET status = 1 WHERE sessionid = \(bind: Secrets.sessionKey(sessionid))").run()
    }
}
