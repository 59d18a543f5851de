/// The method table of the whole API: one adapter per API, each only decoding and handing over to its service.
extension MethodTable {
    static func build(_ services: Services) -> MethodTable {
        var table = MethodTable()
        SettingsAPI(settings: services.settings, apiVersion: services.apiVersion).addMethods(to: &table)
        TokenAPI(tokens: services.tokens).addMethods(to: &table)
        SessionAPI(sessions: services.sessions).addMethods(to: &table)
        UserAPI(users: services.users).addMethods(to: &table)

        let groups = services.userGroups
        table.add("usergroup", "get", .authenticated(minType: .user)) { try await groups.get($0.caller, $0.params) }
        table.add("usergroup", "create", .authenticated(minType: .superAdmin)) { try await groups.create($0.caller, $0.params) }
        table.add("usergroup", "update", .authenticated(minType: .superAdmin)) { try await groups.update($0.caller, $0.params) }
        table.add("usergroup", "delete", .authenticated(minType: .superAdmin)) { try await groups.delete($0.caller, $0.params) }

        let roles = services.roles
        table.add("role", "get", .authenticated(minType: .user)) { try await roles.get($0.caller, $0.params) }
        table.add("role", "create", .authenticated(minType: .superAdmin)) { try await roles.create($0.caller, $0.params) }
        table.add("role", "update", .authenticated(minType: .superAdmin)) { try await roles.update($0.caller, $0.params) }
        table.add("role", "delete", .authenticated(minType: .superAdmin)) { try await roles.delete($0.caller, $0.params) }

        AuditLogAPI(auditLog: services.auditLog).addMethods(to: &table)
        return table
    }
}
