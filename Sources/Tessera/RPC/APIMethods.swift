/// The method table of the whole API: each entry only decodes and hands over to a service.
extension MethodTable {
    static func build(_ services: Services) -> MethodTable {
        var table = MethodTable()
        let tokens = services.tokens
        let sessions = services.sessions

        table.add("apiinfo", "version", .anonymous) { call in
            guard Validator.isEmptyContainer(call.params) else { throw APIError.invalid("/", "should be empty") }
            return .string(services.apiVersion)
        }

        TokenAPI(tokens: tokens).addMethods(to: &table)
        RoleAPI(roles: services.roles).addMethods(to: &table)
        UserGroupAPI(groups: services.userGroups).addMethods(to: &table)

        table.add("user", "login", .anonymous) { try await sessions.login($0.params, ip: $0.ip, recordsetid: $0.recordsetid) }
        table.add("user", "logout", .authenticated(minType: .user)) { call in
            guard Validator.isEmptyContainer(call.params) else { throw APIError.invalid("/", "should be empty") }
            try await sessions.logout(call.caller)
            return .bool(true)
        }
        table.add("user", "checkAuthentication", .anonymous) { try await sessions.checkAuthentication($0.params, ip: $0.ip) }
        let users = services.users
        table.add("user", "get", .authenticated(minType: .user)) { try await users.get($0.caller, $0.params) }
        table.add("user", "create", .authenticated(minType: .superAdmin)) { try await users.create($0.caller, $0.params) }
        table.add("user", "update", .authenticated(minType: .user)) { try await users.update($0.caller, $0.params) }
        table.add("user", "delete", .authenticated(minType: .superAdmin)) { try await users.delete($0.caller, $0.params) }
        table.add("user", "unblock", .authenticated(minType: .superAdmin)) { try await users.unblock($0.caller, $0.params) }

        let settings = services.settings
        let auditLog = services.auditLog
        table.add("settings", "get", .authenticated(minType: .user)) { try await settings.settings($0.params) }
        table.add("authentication", "get", .authenticated(minType: .superAdmin)) { try await settings.authentication($0.params) }
        table.add("auditlog", "get", .authenticated(minType: .superAdmin)) { try await auditLog.get($0.caller, $0.params) }
        return table
    }
}
