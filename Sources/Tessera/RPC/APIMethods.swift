/// The method table of the whole API: one adapter per API, each only decoding and handing over to its service.
extension MethodTable {
    static func build(_ services: Services) -> MethodTable {
        var table = MethodTable()
        SettingsAPI(settings: services.settings, apiVersion: services.apiVersion).addMethods(to: &table)
        TokenAPI(tokens: services.tokens).addMethods(to: &table)
        SessionAPI(sessions: services.sessions).addMethods(to: &table)
        UserAPI(users: services.users).addMethods(to: &table)

        RoleAPI(roles: services.roles).addMethods(to: &table)
        UserGroupAPI(groups: services.userGroups).addMethods(to: &table)

        AuditLogAPI(auditLog: services.auditLog).addMethods(to: &table)
        return table
    }
}
