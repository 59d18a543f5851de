/// `apiinfo.version`, `settings.get` and `authentication.get` (users spec §7).
struct SettingsAPI: Sendable {
    let settings: SettingsService
    /// What `apiinfo.version` reports (clients branch on it: below 6.4 they send `auth`, from 6.4 a Bearer header).
    let apiVersion: String

    func addMethods(to table: inout MethodTable) {
        table.add("apiinfo", "version", .anonymous) { call in
            guard Validator.isEmptyContainer(call.params) else { throw APIError.invalid("/", "should be empty") }
            return .string(apiVersion)
        }
        table.add("settings", "get", .authenticated(minType: .user)) { try await read($0.params, fields: Settings.settingsFields) }
        table.add("authentication", "get", .authenticated(minType: .superAdmin)) {
            try await read($0.params, fields: Settings.authenticationFields)
        }
        table.add("settings", "update", .authenticated(minType: .superAdmin)) { try await update($0, .settings) }
        table.add("authentication", "update", .authenticated(minType: .superAdmin)) { try await update($0, .authentication) }
    }

    /// The settings Tessera uses and `settings.update` changes, with Zabbix 6.0's checks, in its order.
    static let settingsRule = ObjectRule([
        .optional("search_limit", .int32(allowed: .range(1...999_999))),
        .optional("default_lang", .string(oneOf: UserService.supportedLocales.subtracting(["default"]).sorted())),
        .optional("default_timezone", .timezone(special: "system")),
        .optional("login_attempts", .int32(allowed: .range(1...32))),
        .optional("login_block", .timeUnit(allowed: .range(30...3600))),
        .optional("auditlog_enabled", .int32(allowed: .values(0, 1))),
    ])

    /// What `authentication.update` changes: only internal authentication exists (no LDAP, no HTTP).
    static let authenticationRule = ObjectRule([
        .optional("authentication_type", .int32(allowed: .values(0))),
        .optional("http_auth_enabled", .int32(allowed: .values(0))),
        .optional("ldap_case_sensitive", .int32(allowed: .values(0, 1))),
        .optional("passwd_min_length", .int32(allowed: .range(1...70))),
        .optional("passwd_check_rules", .int32(allowed: .range(0...15))),
    ])

    /// The values of an update's params, checked as Zabbix checks them (unexpected names first, then
    /// each field in the rule's order), in the caller's order: for the API and the settings pages.
    static func checked(_ params: JSON, _ group: SettingsService.Group) throws(APIError) -> [(name: String, value: String)] {
        let object = try Validator.object(params, group == .settings ? settingsRule : authenticationRule, path: "/")
        return object.pairs.map { (name: $0.0, value: $0.1.scalarText ?? "") }
    }

    /// Stores the checked params; answers the names given, in the caller's order.
    private func update(_ call: Invocation, _ group: SettingsService.Group) async throws -> JSON {
        .array(try await settings.update(try Self.checked(call.params, group), group, by: call.caller).map { .string($0) })
    }

    /// The given fields (all of them unless `output` names some), every value a string.
    private func read(_ params: JSON, fields: [String]) async throws -> JSON {
        let object = try Validator.object(params, ObjectRule([.optional("output", .output(fields))]), path: "/")
        let wanted: [String]
        if case .array(let names)? = object["output"] {
            let set = Set(names.compactMap(\.stringValue))
            wanted = fields.filter { set.contains($0) }
        } else {
            wanted = fields
        }
        let current = try await settings.current()
        return .object(JSONObject(wanted.map { ($0, .string(current.string($0))) }))
    }
}

extension Validator {
    /// `{}` or `[]`: the params of methods that take none.
    static func isEmptyContainer(_ value: JSON) -> Bool {
        switch value {
        case .array(let items): return items.isEmpty
        case .object(let object): return object.isEmpty
        default: return false
        }
    }
}
