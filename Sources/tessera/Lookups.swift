import Tessera

/// Names typed on the command line turned into ids, through the services as the acting user: what
/// the acting user cannot see is not found.
struct Lookups {
    let services: Services
    let caller: CallContext

    /// A role's id: digits are an id (checked by the user service), anything else a role name.
    func roleID(_ idOrName: String) async throws -> RoleID {
        if let id = RoleID(idOrName) { return id }
        let roles = try await services.roles.roles(RoleQuery(), by: caller)
        guard let role = roles.first(where: { $0.role.name == idOrName }) else { throw CommandFailure("there is no user role \"\(idOrName)\"") }
        return role.role.id
    }

    /// User groups' ids, each given as an id or a name.
    func groupIDs(_ idsOrNames: [String]) async throws -> [UserGroupID] {
        let names = idsOrNames.filter { UserGroupID($0) == nil }
        let groups = names.isEmpty ? [] : try await services.userGroups.groups(UserGroupQuery(), by: caller).map(\.group)
        return try idsOrNames.map { idOrName in
            if let id = UserGroupID(idOrName) { return id }
            guard let group = groups.first(where: { $0.name == idOrName }) else { throw CommandFailure("there is no user group \"\(idOrName)\"") }
            return group.id
        }
    }

    /// The user with exactly this username, with their groups.
    func user(named username: String) async throws -> UserRecord {
        let id = try await services.users.userID(named: username, by: caller)
        guard let user = try await services.users.record(id, by: caller) else { throw CommandFailure("there is no user \"\(username)\"") }
        return user
    }
}
