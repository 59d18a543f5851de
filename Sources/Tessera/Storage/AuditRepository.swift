import SQLKit

/// The `auditlog` table: records are only ever added, and read by `auditlog.get`.
enum AuditRepository {
    static let table = SchemaCatalogue.auditlog.api

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
