/// `role.*` (users spec §5): Zabbix's parameters turned into `RoleDraft`, `RoleChange` and `RoleQuery`,
/// and roles turned back into Zabbix's output. The rules are `RoleService`'s.
struct RoleAPI: Sendable {
    let roles: RoleService

    static let statusRule = Rule.int32(allowed: .status)
    static let typeRule = Rule.int32(allowed: .values(1, 2, 3))
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
        .required("name", .string(maxLength: RoleService.nameLimit, notEmpty: true)),
        .required("type", typeRule),
        .optional("rules", .object(rulesRule)),
    ])

    static let updateRule = ObjectRule([
        .required("roleid", .id()),
        .optional("name", .string(maxLength: RoleService.nameLimit, notEmpty: true)),
        .optional("type", typeRule),
        .optional("rules", .object(rulesRule)),
    ])

    /// The keys of `rules` in role.get, in the API's order.
    static let ruleKeys = [
        "ui", "ui.default_access", "services.read.mode", "services.read.list", "services.read.tag", "services.write.mode",
        "services.write.list", "services.write.tag", "modules", "modules.default_access", "api.access", "api.mode", "api", "actions",
        "actions.default_access",
    ]

    static let getRule = ObjectRule.strictGet(
        [.optional("roleids", .list(.id(), normalize: true, nullable: true))],
        filter: ["roleid", "name", "type", "readonly"],
        search: ["name"],
        output: RoleRepository.table.columnNames,
        afterCount: [.optional("selectRules", .output(ruleKeys)), .optional("selectUsers", .any)],
        sortable: ["roleid", "name"],
        beforePreserveKeys: [.optional("editable", .boolean)]
    )

    func addMethods(to table: inout MethodTable) {
        table.add("role", "get", .authenticated(minType: .user)) { try await get($0.caller, $0.params) }
        table.add("role", "create", .authenticated(minType: .superAdmin)) { try await create($0.caller, $0.params) }
        table.add("role", "update", .authenticated(minType: .superAdmin)) { try await update($0.caller, $0.params) }
        table.add("role", "delete", .authenticated(minType: .superAdmin)) { try await delete($0.caller, $0.params) }
    }

    // MARK: - Methods

    func get(_ caller: CallContext, _ params: JSON) async throws -> JSON {
        let object = try Validator.object(params, Self.getRule, path: "/")
        var query = RoleQuery(
            ids: object["roleids"]?.arrayValue.map { $0.compactMap { $0.stringValue.flatMap { RoleID($0) } } },
            editable: object["editable"] == .bool(true)
        )
        query.options = GetOptions(object)
        var ruleKeys: [String] = []
        if let select = object["selectRules"] {
            query.withRules = true
            ruleKeys = select == "extend" ? Self.ruleKeys : (select.arrayValue ?? []).compactMap(\.stringValue)
        }
        if let select = object["selectUsers"], select != .null {
            query.users = select == "count" ? .count : .rows(columns: SelectOption.fields(select, UserRepository.table, alwaysKey: false))
        }
        switch try await roles.find(query, by: caller) {
        case .count(let count): return .string(String(count))
        case .rows(let found):
            let columns = query.options.outputColumns(RoleRepository.table)
            return GetQuery.shape(found.map { ($0.role.id.description, Self.output($0, columns, ruleKeys: ruleKeys)) }, query.options)
        }
    }

    func create(_ caller: CallContext, _ params: JSON) async throws -> JSON {
        let items = try ParamShape.objects(params, Self.createRule)
        return Self.ids(try await roles.create(items.map(Self.draft), by: caller))
    }

    func update(_ caller: CallContext, _ params: JSON) async throws -> JSON {
        let items = try ParamShape.objects(params, Self.updateRule)
        return Self.ids(try await roles.update(items.map(Self.change), by: caller))
    }

    func delete(_ caller: CallContext, _ params: JSON) async throws -> JSON {
        let ids = try ParamShape.idList(params).compactMap { RoleID($0) }
        try await roles.delete(ids, by: caller)
        return Self.ids(ids)
    }

    // MARK: - Zabbix's JSON and the typed values

    /// A validated `role.create` object.
    private static func draft(_ item: JSONObject) -> RoleDraft {
        RoleDraft(name: item["name"]?.stringValue ?? "", type: type(item["type"]) ?? .user, rules: item["rules"]?.objectValue.map(rulesChange))
    }

    /// A validated `role.update` object.
    private static func change(_ item: JSONObject) -> RoleChange {
        RoleChange(
            id: item["roleid"]?.stringValue.flatMap { RoleID($0) } ?? RoleID(0),
            name: item["name"]?.stringValue,
            type: type(item["type"]),
            rules: item["rules"]?.objectValue.map(rulesChange)
        )
    }

    private static func type(_ value: JSON?) -> UserType? { value?.integer.flatMap { UserType(rawValue: Int($0)) } }

    /// A validated `rules` object.
    static func rulesChange(_ rules: JSONObject) -> RoleRulesChange {
        func allowed(_ value: JSON?) -> Bool? { value?.integer.map { $0 != 0 } }
        func entries(_ key: String) -> [RuleEntry]? {
            rules[key]?.arrayValue.map { $0.map { RuleEntry($0["name"]?.stringValue ?? "", allowed: allowed($0["status"]) ?? true) } }
        }
        return RoleRulesChange(
            ui: entries("ui"),
            uiDefaultAccess: allowed(rules["ui.default_access"]),
            servicesReadAll: allowed(rules["services.read.mode"]),
            servicesWriteAll: allowed(rules["services.write.mode"]),
            modules: rules["modules"]?.arrayValue.map {
                $0.map { ModuleRule(moduleid: $0["moduleid"]?.stringValue ?? "", allowed: allowed($0["status"]) ?? true) }
            },
            modulesDefaultAccess: allowed(rules["modules.default_access"]),
            apiAccess: allowed(rules["api.access"]),
            apiMode: rules["api.mode"]?.integer.flatMap { APIMode(rawValue: Int($0)) },
            api: rules["api"]?.arrayValue.map { $0.compactMap(\.stringValue) },
            actions: entries("actions"),
            actionsDefaultAccess: allowed(rules["actions.default_access"])
        )
    }

    private static func ids(_ ids: [RoleID]) -> JSON { ["roleids": .array(ids.map { .string($0.description) })] }

    /// A role as `role.get` prints it: the given columns, every value a string.
    static func output(_ role: Role, _ columns: [String]) -> JSONObject {
        var object = JSONObject(minimumCapacity: columns.count)
        for column in columns {
            let text: String
            switch column {
            case "roleid": text = role.id.description
            case "name": text = role.name
            case "type": text = String(role.type.rawValue)
            case "readonly": text = role.readonly ? "1" : "0"
            default: continue
            }
            object.append(column, .string(text))
        }
        return object
    }

    /// A role found by `role.get`, with its `rules` and `users` when asked for.
    private static func output(_ listing: RoleListing, _ columns: [String], ruleKeys: [String]) -> JSONObject {
        var object = output(listing.role, columns)
        if let rules = listing.rules { object["rules"] = .object(output(rules, type: listing.role.type, keys: ruleKeys)) }
        switch listing.users {
        case .count(let count)?: object["users"] = .string(String(count))
        case .rows(let users)?: object["users"] = .array(users.map { .object($0) })
        case nil: break
        }
        return object
    }

    /// The `rules` object of role.get with the requested keys, in the API's order.
    static func output(_ rules: RuleSet, type: UserType, keys: [String]) -> JSONObject {
        func status(_ allowed: Bool) -> JSON { allowed ? "1" : "0" }
        func entries(_ list: [RuleEntry]) -> JSON { .array(list.map { ["name": .string($0.name), "status": status($0.allowed)] }) }
        var object = JSONObject()
        let tag: JSON = ["tag": "", "value": ""]
        for key in ruleKeys where keys.contains(key) {
            switch key {
            case "ui": object[key] = entries(rules.uiStatuses(type: type))
            case "ui.default_access": object[key] = status(rules.uiDefault)
            case "services.read.mode": object[key] = status(rules.servicesReadAll)
            case "services.write.mode": object[key] = status(rules.servicesWriteAll)
            case "services.read.list", "services.write.list": object[key] = []
            case "services.read.tag", "services.write.tag": object[key] = tag
            case "modules": object[key] = .array(rules.modules.map { ["moduleid": .string($0.moduleid), "status": status($0.allowed)] })
            case "modules.default_access": object[key] = status(rules.modulesDefault)
            case "api.access": object[key] = status(rules.apiAccess)
            case "api.mode": object[key] = .string(String(rules.apiMode.rawValue))
            case "api": object[key] = .array(rules.api.map { .string($0) })
            case "actions": object[key] = entries(rules.actionStatuses(type: type))
            default: object[key] = status(rules.actionsDefault)
            }
        }
        return object
    }
}
