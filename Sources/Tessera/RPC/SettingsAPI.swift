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
