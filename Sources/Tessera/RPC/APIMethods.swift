/// The method table of the whole API: each entry only decodes and hands over to a service.
extension MethodTable {
    static func build(_ services: Services) -> MethodTable {
        var table = MethodTable()
        let tokens = services.tokens, sessions = services.sessions
        let manageTokens = Access.authenticated(minType: .user, action: "manage_api_tokens")

        table.add("apiinfo", "version", .anonymous) { call in
            guard Validator.isEmptyContainer(call.params) else { throw APIError.invalid("/", "should be empty") }
            return .string(services.apiVersion)
        }

        table.add("token", "create", manageTokens) { try await tokens.create($0.caller, $0.params) }
        table.add("token", "update", manageTokens) { try await tokens.update($0.caller, $0.params) }
        table.add("token", "delete", manageTokens) { try await tokens.delete($0.caller, $0.params) }
        table.add("token", "generate", manageTokens) { try await tokens.generate($0.caller, $0.params) }
        table.add("token", "get", manageTokens) { try await tokens.get($0.caller, $0.params) }

        table.add("user", "login", .anonymous) { try await sessions.login($0.params, ip: $0.ip, recordsetid: $0.recordsetid) }
        table.add("user", "logout", .authenticated(minType: .user)) { try await sessions.logout($0.caller, $0.params) }
        table.add("user", "checkAuthentication", .anonymous) { try await sessions.checkAuthentication($0.params, ip: $0.ip) }
        return table
    }
}
