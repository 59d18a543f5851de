/// Reading the audit log (users spec §6; records are written by `AuditLog` in the changes' own transactions).
struct AuditLogService: Sendable {
    let database: any Database

    /// Which records to read: get options and the conditions `auditlog.get` adds to them.
    struct Query: Sendable {
        var options: GetOptions
        var ids: [String]?
        var userids: [Int64]?
        var from: Int64?
        var till: Int64?
    }

    /// The records found, as the API prints them, or their number.
    func records(_ query: Query) async throws -> GetQuery.Found {
        let conditions = AuditRepository.conditions(ids: query.ids, userids: query.userids, from: query.from, till: query.till)
        let where_ = conditions
        return try await database.read { db in try await GetQuery.rows(db, AuditRepository.table, query.options, where_) }
    }
}
