import SQLKit

/// The `auditlog` table: records are only ever added, and read by `auditlog.get`.
enum AuditRepository {
    static let table = SchemaCatalogue.auditlog.api

    /// The conditions of `auditlog.get`: these record ids and users, and the time from and till (inclusive).
    static func conditions(ids: [String]?, userids: [Int64]?, from: Int64?, till: Int64?) -> Conditions {
        var conditions = Conditions()
        if let ids { conditions.add(.among("auditid", ids)) }
        if let userids { conditions.add(.among("userid", userids)) }
        if let from { conditions.add("clock >= \(bind: from)") }
        if let till { conditions.add("clock <= \(bind: till)") }
        return conditions
    }

    static func insert(
        _ db: any SQLDatabase,
        userid: Int64?,
        username: String,
        clock: Int64,
        ip: String,
        record: AuditLog.Record,
        resourcename: String,
        recordsetid: String,
        details: String
    ) async throws {
        try await db.raw(
            """
            INSERT INTO auditlog (auditid, userid, username, clock, ip, action, resourcetype, resourceid, resourcename, recordsetid, details)
            VALUES (\(bind: CUID.make()), \(bind: userid), \(bind: username), \(bind: clock), \(bind: ip),
                \(bind: record.action.rawValue), \(bind: record.resource.rawValue), \(bind: record.resourceid.flatMap { Int64($0) }),
                \(bind: resourcename), \(bind: recordsetid), \(bind: details))
            """
        ).run()
    }
}
