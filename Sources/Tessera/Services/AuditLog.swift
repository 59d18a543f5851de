import SQLKit

/// Audit records (token spec §2.8, users spec §6), written in the same transaction as the change.
public enum AuditLog {
    public enum Action: Int, Sendable {
        case add = 0, update = 1, delete = 2, logout = 4, login = 8, loginFailed = 9
    }

    public enum Resource: Int, Sendable {
        case user = 0, userGroup = 11, userRole = 44, apiToken = 45
    }

    /// One record to write.
    public struct Record: Sendable {
        var action: Action
        var resource: Resource
        var resourceid: String?
        var resourcename: String
        var details: JSONObject?
    }

    /// Details of an added object: every field with a non-default value, as `["add", "<value>"]`.
    static func addDetails(_ prefix: String, _ fields: [(String, String)]) -> JSONObject {
        JSONObject(fields.map { ("\(prefix).\($0.0)", .array(["add", .string($0.1)])) })
    }

    /// Details of an update: changed fields as `["update", "<new>", "<old>"]`.
    static func updateDetails(_ prefix: String, _ changes: [(String, new: String, old: String)]) -> JSONObject {
        JSONObject(changes.map { ("\(prefix).\($0.0)", .array(["update", .string($0.new), .string($0.old)])) })
    }

    /// Writes the records as the caller of `context`, unless the audit log is switched off.
    static func write(_ db: any SQLDatabase, _ context: CallContext, _ records: [Record]) async throws {
        try await write(
            db, userid: context.principal.userid, username: context.principal.username, ip: context.ip,
            clock: context.now, recordsetid: context.recordsetid, records)
    }

    static func write(
        _ db: any SQLDatabase, userid: String?, username: String, ip: String, clock: Int64, recordsetid: String,
        _ records: [Record]
    ) async throws {
        guard !records.isEmpty, try await Settings.load(db).auditEnabled else { return }
        for record in records {
            let name = record.resourcename.unicodeScalars.count > 255
                ? String(String.UnicodeScalarView(record.resourcename.unicodeScalars.prefix(252))) + "..."
                : record.resourcename
            let details = record.details.map { JSON.object($0).encoded() } ?? ""
            try await db.raw(
                """
                INSERT INTO auditlog (auditid, userid, username, clock, ip, action, resourcetype, resourceid, resourcename, recordsetid, details)
                VALUES (\(bind: CUID.make()), \(bind: userid.flatMap { Int64($0) }), \(bind: username), \(bind: clock), \(bind: String(ip.prefix(39))),
                    \(bind: record.action.rawValue), \(bind: record.resource.rawValue), \(bind: record.resourceid.flatMap { Int64($0) }),
                    \(bind: name), \(bind: recordsetid), \(bind: details))
                """
            ).run()
        }
    }
}
