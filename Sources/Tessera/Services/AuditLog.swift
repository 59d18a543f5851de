import Logging
import NIOConcurrencyHelpers
import SQLKit

/// Audit records (token spec §2.8, users spec §6), written in the same transaction as the change.
enum AuditLog {
    enum Action: Int, Sendable {
        case add = 0
        case update = 1
        case delete = 2
        case logout = 4
        case login = 8
        case loginFailed = 9
    }

    enum Resource: Int, Sendable {
        case user = 0
        case userGroup = 11
        case settings = 40
        case authentication = 42
        case userRole = 44
        case apiToken = 45
    }

    /// One record to write.
    struct Record: Sendable {
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
            db,
            userid: context.principal.userid,
            username: context.principal.username,
            ip: context.ip,
            clock: context.now,
            recordsetid: context.recordsetid,
            records
        )
    }

    static func write(
        _ db: any SQLDatabase,
        userid: String?,
        username: String,
        ip: String,
        clock: Int64,
        recordsetid: String,
        _ records: [Record]
    ) async throws {
        guard !records.isEmpty, try await Settings.load(db).auditEnabled else { return }
        // The column holds 100 characters; a failed login records the name as typed, up to 255.
        let username = String(String.UnicodeScalarView(username.unicodeScalars.prefix(100)))
        for record in records {
            let name =
                record.resourcename.unicodeScalars.count > 255
                ? String(String.UnicodeScalarView(record.resourcename.unicodeScalars.prefix(252))) + "..."
                : record.resourcename
            let details = record.details.map { JSON.object($0).encoded() } ?? ""
            try await AuditRepository.insert(
                db,
                userid: userid.flatMap { Int64($0) },
                username: username,
                clock: clock,
                ip: String(ip.prefix(39)),
                record: record,
                resourcename: name,
                recordsetid: recordsetid,
                details: details
            )
            AuditTrail.pending?.add(
                "audit: \(record.action) \(record.resource) \(record.resourceid ?? "-") \"\(name)\" by \(username) from \(ip)",
                recordsetid: recordsetid
            )
        }
    }
}

/// Audit records also go to the log, once their transaction has committed (a rolled-back change
/// leaves no line). The transaction sets `pending` for its body and writes the lines after COMMIT.
enum AuditTrail {
    @TaskLocal static var pending: Lines?

    final class Lines: Sendable {
        private let lines = NIOLockedValueBox<[(text: String, recordsetid: String)]>([])

        func add(_ text: String, recordsetid: String) { lines.withLockedValue { $0.append((text, recordsetid)) } }

        func write(to logger: Logger) {
            for line in lines.withLockedValue({ $0 }) {
                logger.info("\(line.text)", metadata: ["recordsetid": "\(line.recordsetid)"])
            }
        }
    }

    /// Runs a transaction's `body` (through its COMMIT) collecting audit lines, then logs them.
    static func collecting<T>(_ logger: Logger, _ body: () async throws -> T) async throws -> T {
        let lines = Lines()
        let result = try await $pending.withValue(lines) { try await body() }
        lines.write(to: logger)
        return result
    }
}
