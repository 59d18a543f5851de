import SQLKit

/// The `role.*` rules (users spec §5).
public struct RoleService: Sendable {
    let database: any Database
    /// Told about every change that can alter whether a token authenticates.
    let changes: ChangeFeed

    static let table = Table(
        name: "role",
        primaryKey: "roleid",
        columns: [("roleid", .id), ("name", .text), ("type", .int), ("readonly", .int)]
    )

    static let statusRule = Rule.int32(allowed: .status)
    static let entriesRule = Rule.objects(
        ObjectRule([.required("name", .string(notEmpty: true)), .optional("status", statusRule)]),
        uniqueBy: ["name"]
    )

    static let rulesRule = ObjectRule([
        .optional("ui", entriesRule),
        .optional("ui.default_access", statusRule),
        .optional("services.read.mode", statusRule),
        .optional("services.read.list", .any),
        .optional("services.read.tag", .any),
        .optional("services.write.mode", statusRule),
        .optional("services.write.list", .any),
        .optional("services.write.tag", .any),
        .optional("modules", .objects(ObjectRule([.required("moduleid", .id()), .optional("status", statusRule)]), uniqueBy: ["moduleid"])),
        .optional("modules.default_access", statusRule),
        .optional("api.access", statusRule),
        .optional("api.mode", statusRule),
        .optional("api", .list(.string(notEmpty: true), unique: true)),
        .optional("actions", entriesRule),
        .optional("actions.default_access", statusRule),
    ])

    static let createRule = ObjectRule([
        .required("name", .string(maxLength: 255, notEmpty: true)),
        .required("type", .int32(allowed: .values(1, 2, 3))),
        .optional("rules", .object(rulesRule)),
    ])

    static let updateRule = ObjectRule([
        .required("roleid", .id()),
        .optional("name", .string(maxLength: 255, notEmpty: true)),
        .optional("type", .int32(allowed: .values(1, 2, 3))),
        .optional("rules", .object(rulesRule)),
    ])

    static let getRule = ObjectRule.strictGet(
        [.optional("roleids", .list(.id(), normalize: true, nullable: true))],
        filter: ["roleid", "name", "type", "readonly"],
        search: ["name"],
        output: table.columnNames,
        afterCount: [.optional("selectRules", .output(RuleSet.outputKeys)), .optional("selectUsers", .any)],
        sortable: ["roleid", "name"],
        beforePreserveKeys: [.optional("editable", .boolean)]
    )

    // MARK: - Reads shared with other services

    /// Every role row by id.
    static func roleRows(_ db: any SQLDatabase) async throws -> [String: JSONObject] {
        var result: [String: JSONObject] = [:]
        for row in try await db.raw("SELECT roleid, name, type, readonly FROM role").all() {
            let object = try table.decode(row, columns: table.columnNames)
            result[object["roleid"]!.stringValue!] = object
        }
        return result
    }

    /// The readonly role (Super admin role), if any.
    static func readonlyRole(_ db: any SQLDatabase) async throws -> (id: String, name: String)? {
        guard let row = try await db.raw("SELECT roleid, name FROM role WHERE readonly = 1 ORDER BY roleid").first() else { return nil }
        return (String(try row.decode(column: "roleid", as: Int64.self)), try row.decode(column: "name", as: String.self))
    }

    static func storedRules(_ db: any SQLDatabase, roleid: String) async throws -> [(id: Int64, row: RuleSet.Row)] {
        try await db.raw(
            "SELECT role_ruleid, name, type, value_int, value_str FROM role_rule WHERE roleid = \(bind: Int64(roleid)!) ORDER BY role_ruleid"
        ).all().map {
            (
                try $0.decode(column: "role_ruleid", as: Int64.self),
                RuleSet.Row(
                    name: try $0.decode(column: "name", as: String.self),
                    type: try $0.decode(column: "type", as: Int.self),
                    int: try $0.decode(column: "value_int", as: Int.self),
                    str: try $0.decode(column: "value_str", as: String.self)
                )
            )
        }
    }

    // MARK: - get

    public func get(_ context: CallContext, _ params: JSON) async throws -> JSON {
        let object = try Validator.object(params, Self.getRule, path: "/")
        let options = GetOptions(object)
        if object["editable"] == .bool(true), !context.principal.isSuperAdmin {
            return options.countOutput ? "0" : []
        }
        var conditions = Conditions()
        if let ids = object["roleids"]?.arrayValue { conditions.add(.among("roleid", ids.compactMap { $0.stringValue.flatMap { Int64($0) } })) }
        let where_ = conditions
        return try await database.read { db in
            switch try await GetQuery.rows(db, Self.table, options, where_) {
            case .count(let n): return .string(String(n))
            case .rows(var rows):
                if let select = object["selectRules"] {
                    let keys = select == "extend" ? RuleSet.outputKeys : (select.arrayValue ?? []).compactMap(\.stringValue)
                    let types = try await Self.roleRows(db)
                    for i in rows.indices {
                        let stored = try await Self.storedRules(db, roleid: rows[i].key).map(\.row)
                        let type = Int(types[rows[i].key]?["type"]?.stringValue ?? "1") ?? 1
                        rows[i].object["rules"] = .object(RuleSet(rows: stored).output(type: type, keys: keys))
                    }
                }
                if let select = object["selectUsers"], select != .null {
                    for i in rows.indices {
                        rows[i].object["users"] = try await Self.users(db, roleid: rows[i].key, select: select)
                    }
                }
                return GetQuery.shape(rows, options)
            }
        }
    }

    /// `selectUsers`: `"count"`, `"extend"` or a list of user fields.
    private static func users(_ db: any SQLDatabase, roleid: String, select: JSON) async throws -> JSON {
        if select == "count" {
            let n =
                try await db.raw("SELECT COUNT(*) AS n FROM users WHERE roleid = \(bind: Int64(roleid)!)").first()?.decode(
                    column: "n",
                    as: Int64.self
                ) ?? 0
            return .string(String(n))
        }
        let fields = SelectOption.fields(select, UserService.table, alwaysKey: false)
        let rows = try await db.raw(
            "SELECT \(unsafeRaw: UserService.table.columnNames.joined(separator: ", ")) FROM users WHERE roleid = \(bind: Int64(roleid)!) ORDER BY userid"
        ).all()
        return .array(try rows.map { .object(try UserService.table.decode($0, columns: fields)) })
    }

    // MARK: - create / update

    public func create(_ context: CallContext, _ params: JSON) async throws -> JSON {
        let items = try ParamShape.objects(params, Self.createRule)
        try ParamShape.checkUnique(items, fields: ["name"])
        let ids = try await database.transaction { db -> [String] in
            for item in items { try await Self.checkNameFree(db, item["name"]!.stringValue!, except: nil) }
            var rulesByItem: [RuleSet] = []
            for item in items {
                var rules = RuleSet()
                if case .object(let given)? = item["rules"] {
                    rules.merge(given)
                    try Self.checkRules(given, rules, roleName: item["name"]!.stringValue!, type: Int(item["type"]!.scalarText!)!)
                }
                rulesByItem.append(rules)
            }
            let first = try await IDAllocator.reserve(db, table: "role", field: "roleid", count: items.count)
            var ids: [String] = []
            for (offset, item) in items.enumerated() {
                let roleid = first + Int64(offset)
                try await db.raw(
                    "INSERT INTO role (roleid, name, type, readonly) VALUES (\(bind: roleid), \(bind: item["name"]!.stringValue!), \(bind: Int64(item["type"]!.scalarText!)!), 0)"
                ).run()
                try await Self.storeRules(db, roleid: String(roleid), rulesByItem[offset].rows())
                try await AuditLog.write(
                    db,
                    context,
                    [
                        .init(action: .add, resource: .userRole, resourceid: String(roleid), resourcename: item["name"]!.stringValue!, details: nil)
                    ]
                )
                ids.append(String(roleid))
            }
            return ids
        }
        return ["roleids": .array(ids.map { .string($0) })]
    }

    public func update(_ context: CallContext, _ params: JSON) async throws -> JSON {
        let items = try ParamShape.objects(params, Self.updateRule)
        try ParamShape.checkUnique(items, fields: ["roleid"])
        try ParamShape.checkUnique(items, fields: ["name"])
        let ids = items.map { $0["roleid"]!.stringValue! }
        try await database.transaction { db in
            try await changes.announce(.everything, in: db)
            let roles = try await Self.roleRows(db)
            guard ids.allSatisfy({ roles[$0] != nil }) else { throw APIError.noPermissions }
            for item in items {
                let role = roles[item["roleid"]!.stringValue!]!
                let storedName = role["name"]!.stringValue!
                if role["readonly"] == "1" { throw APIError.application("Cannot update readonly user role \"\(storedName)\".") }
                if let name = item["name"]?.stringValue, name != storedName {
                    try await Self.checkNameFree(db, name, except: item["roleid"]!.stringValue!)
                }
                let type = Int(item["type"]?.scalarText ?? role["type"]!.stringValue!)!
                if item["roleid"]!.stringValue! == context.principal.roleid, type != Int(role["type"]!.stringValue!)! {
                    throw APIError.application("Cannot change the user type of own role.")
                }
                if case .object(let given)? = item["rules"] {
                    let stored = try await Self.storedRules(db, roleid: item["roleid"]!.stringValue!)
                    var rules = RuleSet(rows: stored.map(\.row))
                    rules.merge(given, existingType: Int(role["type"]!.stringValue!)!)
                    try Self.checkRules(given, rules, roleName: storedName, type: type)
                    try await Self.storeRules(db, roleid: item["roleid"]!.stringValue!, rules.rows(), existing: stored)
                }
                var sets: [SQLQueryString] = []
                if let name = item["name"]?.stringValue, name != storedName { sets.append("name = \(bind: name)") }
                if let typeText = item["type"]?.scalarText, typeText != role["type"]!.stringValue! { sets.append("type = \(bind: Int64(typeText)!)") }
                if !sets.isEmpty {
                    try await db.raw(
                        "UPDATE role SET " + sets.joined(separator: ", ") + " WHERE roleid = \(bind: Int64(item["roleid"]!.stringValue!)!)"
                    ).run()
                }
            }
        }
        changes.apply(.everything)
        return ["roleids": .array(ids.map { .string($0) })]
    }

    private static func checkNameFree(_ db: any SQLDatabase, _ name: String, except roleid: String?) async throws {
        if let row = try await db.raw("SELECT roleid FROM role WHERE name = \(bind: name)").first(),
            String(try row.decode(column: "roleid", as: Int64.self)) != roleid
        {
            throw APIError.params("User role \"\(name)\" already exists.")
        }
    }

    /// Rule checks of create/update, in Zabbix's order: UI elements, API methods, actions.
    private static func checkRules(_ given: JSONObject, _ rules: RuleSet, roleName: String, type: Int) throws {
        if let entries = given["ui"]?.arrayValue {
            let available = RoleCatalog.uiElements(type: type)
            for entry in entries {
                let name = entry["name"]?.stringValue ?? ""
                if !available.contains(name) { throw APIError.params("UI element \"\(name)\" is not available for user role \"\(roleName)\".") }
            }
            if !rules.uiStatuses(type: type).contains(where: { $0.1 == 1 }) {
                throw APIError.params("At least one UI element must be enabled for user role \"\(roleName)\".")
            }
        }
        for method in given["api"]?.arrayValue?.compactMap(\.stringValue) ?? [] where !RoleCatalog.isValidAPIPattern(method) {
            throw APIError.params("Invalid API method \"\(method)\" for user role \"\(roleName)\".")
        }
        let actions = RoleCatalog.actions(type: type)
        for entry in given["actions"]?.arrayValue ?? [] {
            let name = entry["name"]?.stringValue ?? ""
            if !actions.contains(name) { throw APIError.params("Action \"\(name)\" is not available for user role \"\(roleName)\".") }
        }
    }

    /// Writes the compiled rows: unchanged rows keep their ids, the others are deleted and inserted.
    private static func storeRules(
        _ db: any SQLDatabase,
        roleid: String,
        _ rows: [RuleSet.Row],
        existing: [(id: Int64, row: RuleSet.Row)] = []
    ) async throws {
        var remaining = existing
        var toInsert: [RuleSet.Row] = []
        for row in rows {
            if let index = remaining.firstIndex(where: { $0.row == row }) { remaining.remove(at: index) } else { toInsert.append(row) }
        }
        if !remaining.isEmpty {
            try await db.raw("DELETE FROM role_rule WHERE " + .among("role_ruleid", remaining.map(\.id))).run()
        }
        var next = try await IDAllocator.reserve(db, table: "role_rule", field: "role_ruleid", count: toInsert.count)
        for row in toInsert {
            try await db.raw(
                """
                INSERT INTO role_rule (role_ruleid, roleid, type, name, value_int, value_str)
                VALUES (\(bind: next), \(bind: Int64(roleid)!), \(bind: row.type), \(bind: row.name), \(bind: row.int), \(bind: row.str))
                """
            ).run()
            next += 1
        }
    }

    // MARK: - delete

    public func delete(_ context: CallContext, _ params: JSON) async throws -> JSON {
        let ids = try ParamShape.idList(params)
        try await database.transaction { db in
            try await changes.announce(.everything, in: db)
            let roles = try await Self.roleRows(db)
            guard ids.allSatisfy({ roles[$0] != nil }) else { throw APIError.noPermissions }
            for id in ids {
                let name = roles[id]!["name"]!.stringValue!
                if roles[id]!["readonly"] == "1" { throw APIError.application("Cannot delete readonly user role \"\(name)\".") }
                if try await db.raw("SELECT 1 AS x FROM users WHERE roleid = \(bind: Int64(id)!)").first() != nil {
                    throw APIError.application("Cannot delete assigned user role \"\(name)\".")
                }
            }
            try await db.raw("DELETE FROM role WHERE " + .among("roleid", ids.compactMap { Int64($0) })).run()
            try await AuditLog.write(
                db,
                context,
                ids.map {
                    .init(action: .delete, resource: .userRole, resourceid: $0, resourcename: roles[$0]!["name"]!.stringValue!, details: nil)
                }
            )
        }
        changes.apply(.everything)
        return ["roleids": .array(ids.map { .string($0) })]
    }
}
