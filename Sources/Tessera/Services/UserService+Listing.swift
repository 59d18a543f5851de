/// What `user.get` reads, among the users the caller may see (users spec §3.2).
extension UserService {
    /// Which users to read: get options and the id conditions, and what to read with them.
    struct Query: Sendable {
        var options: GetOptions
        var ids: [Int64]?
        var groupids: [Int64]?
        /// Only the users the caller may change (for anyone but a Super admin: themself).
        var editable = false
        var withAccess = false
        var withGroups = false
        var withRoles = false
    }

    /// The users found (as the API prints them), with their group flags, groups and roles when asked for.
    struct Listing: Sendable {
        var found: GetQuery.Found
        var access: [String: GroupFlags] = [:]
        /// Each user's groups in group id order, as the API prints a group.
        var groups: [String: [UserGroup]] = [:]
        /// Each user's role, nil when it has none.
        var roles: [String: Role?] = [:]
    }

    func listing(_ query: Query, by caller: CallContext) async throws -> Listing {
        let conditions = UserRepository.conditions(ids: query.ids, groupids: query.groupids, visibleTo: caller.principal, editable: query.editable)
        let where_ = conditions
        return try await database.read { db in
            var listing = Listing(found: try await GetQuery.rows(db, Self.table, query.options, where_))
            guard case .rows(let rows) = listing.found else { return listing }
            let ids = rows.map(\.key)
            if query.withAccess {
                let flags = try await GroupRepository.flags(db, of: ids.compactMap { UserID($0) })
                listing.access = Dictionary(uniqueKeysWithValues: flags.map { ($0.key.description, $0.value) })
            }
            if query.withGroups {
                let memberships = try await GroupRepository.memberships(db, of: ids.compactMap { UserID($0) })
                let groups = try await GroupRepository.existing(db, ids: Array(Set(memberships.values.joined())))
                for (user, groupids) in memberships {
                    listing.groups[user.description] = groupids.sorted { $0.value < $1.value }.compactMap { groups[$0] }
                }
            }
            if query.withRoles {
                let roles = try await RoleRepository.all(db)
                for id in ids { listing.roles[id] = RoleID(try await UserRepository.roleid(db, of: id)).flatMap { roles[$0] } }
            }
            return listing
        }
    }
}
