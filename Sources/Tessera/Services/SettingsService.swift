/// `settings.get` and `authentication.get` (users spec §7).
public struct SettingsService: Sendable {
    let database: any Database

    public func settings(_ params: JSON) async throws -> JSON {
        try await read(params, fields: Settings.settingsFields)
    }

    public func authentication(_ params: JSON) async throws -> JSON {
        try await read(params, fields: Settings.authenticationFields)
    }

    private func read(_ params: JSON, fields: [String]) async throws -> JSON {
        let object = try Validator.object(params, ObjectRule([.optional("output", .output(fields))]), path: "/")
        let wanted: [String]
        if case .array(let names)? = object["output"] {
            let set = Set(names.compactMap(\.stringValue))
            wanted = fields.filter { set.contains($0) }
        } else {
            wanted = fields
        }
        let settings = try await database.read { db in try await Settings.load(db) }
        return .object(JSONObject(wanted.map { ($0, .string(settings.string($0))) }))
    }
}

/// `auditlog.get` (users spec §6).
public struct AuditLogService: Sendable {
    let database: any Database

    static let table = Table(
        name: "auditlog",
        primaryKey: "auditid",
        columns: [
            ("auditid", .text), ("userid", .id), ("username", .text), ("clock", .int), ("ip", .text), ("action", .int),
            ("resourcetype", .int), ("resourceid", .id), ("resource_cuid", .text), ("resourcename", .text), ("recordsetid", .text),
            ("details", .text),
        ]
    )

    static let getRule = ObjectRule.strictGet(
        [
            .optional("auditids", .list(.cuid, normalize: true, nullable: true)),
            .optional("userids", .list(.id(), normalize: true, nullable: true)),
        ],
        filter: ["auditid", "userid", "clock", "action", "resourcetype", "ip", "resourceid", "resourcename", "username", "recordsetid"],
        search: ["ip", "resourcename", "username", "details"],
        afterSearch: [.optional("time_from", .int32(nullable: true)), .optional("time_till", .int32(nullable: true))],
        output: table.columnNames,
        sortable: ["auditid", "userid", "clock"]
    )

    public func get(_ context: CallContext, _ params: JSON) async throws -> JSON {
        let object = try Validator.object(params, Self.getRule, path: "/")
        var conditions = Conditions()
        if let ids = object["auditids"]?.arrayValue { conditions.add(.among("auditid", ids.compactMap(\.stringValue))) }
        if let ids = object["userids"]?.arrayValue { conditions.add(.among("userid", ids.compactMap { $0.stringValue.flatMap { Int64($0) } })) }
        if case .number(let n)? = object["time_from"] { conditions.add("clock >= \(bind: Int64(n)!)") }
        if case .number(let n)? = object["time_till"] { conditions.add("clock <= \(bind: Int64(n)!)") }
        let options = GetOptions(object)
        let where_ = conditions
        return try await database.read { db in try await GetQuery.run(db, Self.table, options, where_) }
    }
}

extension Rule {
    /// A 25-character CUID.
    static let cuid = Rule.fixedLengthString(25)
}
