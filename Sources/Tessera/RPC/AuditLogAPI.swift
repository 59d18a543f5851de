/// `auditlog.get` (users spec §6).
struct AuditLogAPI: Sendable {
    let auditLog: AuditLogService

    static let getRule = ObjectRule.strictGet(
        [
            .optional("auditids", .list(.cuid, normalize: true, nullable: true)),
            .optional("userids", .list(.id(), normalize: true, nullable: true)),
        ],
        filter: ["auditid", "userid", "clock", "action", "resourcetype", "ip", "resourceid", "resourcename", "username", "recordsetid"],
        search: ["ip", "resourcename", "username", "details"],
        afterSearch: [.optional("time_from", .int32(nullable: true)), .optional("time_till", .int32(nullable: true))],
        output: AuditRepository.table.columnNames,
        sortable: ["auditid", "userid", "clock"]
    )

    func addMethods(to table: inout MethodTable) {
        table.add("auditlog", "get", .authenticated(minType: .superAdmin)) { try await get($0.params) }
    }

    func get(_ params: JSON) async throws -> JSON {
        let object = try Validator.object(params, Self.getRule, path: "/")
        let options = GetOptions(object)
        let query = AuditLogService.Query(
            options: options,
            ids: object["auditids"]?.arrayValue?.compactMap(\.stringValue),
            userids: object["userids"]?.arrayValue?.compactMap { $0.stringValue.flatMap { Int64($0) } },
            from: object["time_from"]?.integer,
            till: object["time_till"]?.integer
        )
        switch try await auditLog.records(query) {
        case .count(let count): return .string(String(count))
        case .rows(let rows): return GetQuery.shape(rows, options)
        }
    }
}

extension Rule {
    /// A 25-character CUID.
    static let cuid = Rule.fixedLengthString(25)
}
