import SQLKit

/// The checks of the user rules that need more than one user's fields.
extension UserService {
    /// The first value given twice in one call: `Invalid parameter "/2": value (username)=(a) already exists.`
    static func checkUnique(_ values: [String?], field: String) throws(APIError) {
        var seen = Set<String>()
        for (index, value) in values.enumerated() {
            guard let value else { continue }
            if !seen.insert(value).inserted { throw .invalid("/\(index + 1)", "value (\(field))=(\(value)) already exists") }
        }
    }

    /// Language, role and group references of created or updated users must exist.
    static func checkReferences(_ db: any SQLDatabase, _ users: [UserFields]) async throws {
        for user in users {
            if let lang = user.lang, !supportedLocales.contains(lang) { throw APIError.params("Language \"\(lang)\" is not supported.") }
        }
        for user in users {
            if let role = user.role, try await RoleRepository.all(db)[role] == nil {
                throw APIError.params("User role with ID \"\(role)\" is not available.")
            }
        }
        for user in users {
            let ids = user.groups ?? []
            let found = try await GroupRepository.existing(db, ids: ids)
            if let missing = ids.first(where: { found[$0] == nil }) { throw APIError.params("User group with ID \"\(missing)\" is not available.") }
        }
    }

    /// What an update may not do: leave no active user with the Super admin role, take a username
    /// someone has, refer to what does not exist, or let users change their own role or shut themself out.
    static func checkUpdate(
        _ db: any SQLDatabase,
        _ users: [(id: UserID, fields: UserFields)],
        _ accounts: [UserID: UserAccount],
        by me: Principal
    ) async throws {
        let leaving = users.filter { user in user.fields.role.map { $0 != accounts[user.id]?.roleid } ?? false }.map(\.id)
        if !leaving.isEmpty, let readonly = try await RoleRepository.readonly(db),
            leaving.contains(where: { accounts[$0]?.roleid == readonly.id }),
            try await GroupRepository.activeSuperAdmins(db, excluding: leaving) == 0
        {
            throw APIError.params("At least one active user must exist with role \"\(readonly.name)\".")
        }
        for user in users {
            guard let username = user.fields.username, username != accounts[user.id]?.username else { continue }
            if try await UserRepository.usernameTaken(db, username) { throw APIError.params("User with username \"\(username)\" already exists.") }
        }
        try await checkReferences(db, users.map(\.fields))
        for user in users where user.id == me.id {
            if let role = user.fields.role, role != accounts[me.id]?.roleid { throw APIError.params("User cannot change own role.") }
            let groups = try await GroupRepository.existing(db, ids: user.fields.groups ?? [])
            if groups.values.contains(where: { $0.status == .disabled || $0.guiAccess == .disabled }) {
                throw APIError.params("User cannot add himself to a disabled group or a group with disabled GUI access.")
            }
            // Not in Zabbix 6.0.14 (CVE-2024-36467): only a Super admin may change their own groups or
            // username; anyone else could leave "No access to the frontend" or join any enabled group.
            if !me.isSuperAdmin {
                if let username = user.fields.username, username != accounts[me.id]?.username {
                    throw APIError.params("User cannot change own username.")
                }
                if let groups = user.fields.groups {
                    let current = try await GroupRepository.memberships(db, of: [me.id])[me.id] ?? []
                    if Set(groups) != Set(current) { throw APIError.params("User cannot change own user groups.") }
                }
            }
        }
    }
}
