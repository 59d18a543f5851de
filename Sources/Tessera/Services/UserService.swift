import SQLKit

/// The rules of users (users spec §3) other than logging in and out, for the API, the web UI and the
/// command line alike: unique usernames, the password policy, who may change whom, the guest's and the
/// Super admin role's protections, memberships, and audit records.
public struct UserService: Sendable {
    let database: any Database
    /// Told about every change that can alter whether a token authenticates.
    let changes: ChangeFeed

    static let table = UserRepository.table

    // MARK: - Create

    /// Creates users; returns their ids in order. `fields` must name a username, a role and groups.
    public func create(_ users: [UserFields], by caller: CallContext) async throws -> [UserID] {
        try caller.principal.permissions.requireSuperAdmin(for: "user.create")
        var users = users
        for (index, user) in users.enumerated() { try Self.check(user, Self.createRule, item: index + 1) }
        try Self.checkUnique(users.map { $0.username ?? "" }, field: "username")
        let policy = try await passwordPolicy()
        for index in users.indices {
            try Self.applyLoginOptions(&users[index])
            let user = users[index]
            if let password = user.password,
                let reason = policy.violation(password, username: user.username ?? "", name: user.name ?? "", surname: user.surname ?? "")
            {
                throw APIError.params("Incorrect value for field \"/\(index + 1)/passwd\": \(reason).")
            }
        }
        var hashes: [String] = []
        for user in users { hashes.append(try await user.password.asyncMap(Passwords.hash) ?? "") }
        let created = users
        let passwordHashes = hashes
        return try await database.transaction { db -> [UserID] in
            for user in created {
                let username = user.username ?? ""
                if try await UserRepository.usernameTaken(db, username) {
                    throw APIError.params("User with username \"\(username)\" already exists.")
                }
            }
            try await Self.checkReferences(db, created)
            for user in created where user.password == nil {
                let groups = try await GroupRepository.existing(db, ids: user.groups ?? [])
                if groups.values.contains(where: { $0.guiAccess != .ldap && $0.guiAccess != .disabled }) {
                    throw APIError.params("Incorrect value for field \"passwd\": cannot be empty.")
                }
            }
            let first = try await IDAllocator.reserve(db, table: "users", field: "userid", count: created.count)
            var ids: [UserID] = []
            for (offset, user) in created.enumerated() {
                let id = UserID(first + Int64(offset))
                try await UserRepository.insert(db, id: id, passwordHash: passwordHashes[offset], user)
                let membership = try await GroupRepository.setMemberships(db, of: id, to: user.groups ?? [])
                var details: [(String, JSON)] = []
                for field in user.given {
                    switch field {
                    case .usrgrps: details += membership
                    case .passwd: details.append(("user.passwd", ["add", "******"]))
                    default: details.append(("user.\(field.rawValue)", ["add", .string(user.text(of: field) ?? "")]))
                    }
                }
                details.append(("user.userid", ["add", .string(id.description)]))
                try await AuditLog.write(
                    db,
                    caller,
                    [
                        .init(
                            action: .add,
                            resource: .user,
                            resourceid: id.description,
                            resourcename: user.username ?? "",
                            details: JSONObject(details)
                        )
                    ]
                )
                ids.append(id)
            }
            return ids
        }
    }

    // MARK: - Update

    /// Changes users: a Super admin anyone, anyone else only themself.
    public func update(_ users: [(id: UserID, fields: UserFields)], by caller: CallContext) async throws {
        var users = users
        for (index, user) in users.enumerated() { try Self.check(user.fields, Self.updateRule, item: index + 1, id: user.id) }
        try Self.checkUnique(users.map(\.id.description), field: "userid")
        try Self.checkUnique(users.map { $0.fields.username }, field: "username")
        let me = caller.principal
        let ids = users.map(\.id)
        let accounts = try await database.read { db -> [UserID: UserAccount] in
            var accounts: [UserID: UserAccount] = [:]
            for id in ids {
                if let account = try await UserRepository.account(db, id: id) { accounts[id] = account }
            }
            return accounts
        }
        guard ids.allSatisfy({ accounts[$0] != nil && (me.isSuperAdmin || $0 == me.id) }) else { throw APIError.noPermissions }
        let policy = try await passwordPolicy()
        for index in users.indices {
            guard let account = accounts[users[index].id] else { continue }
            let isGuest = account.username == "guest"
            if isGuest, let name = users[index].fields.username, name != "guest" { throw APIError.params("Cannot rename guest user.") }
            try Self.applyLoginOptions(&users[index].fields)
            let user = users[index].fields
            if let password = user.password {
                let reason = policy.violation(
                    password,
                    username: user.username ?? account.username,
                    name: user.name ?? account.names.name,
                    surname: user.surname ?? account.names.surname
                )
                if let reason { throw APIError.params("Incorrect value for field \"/\(index + 1)/passwd\": \(reason).") }
                if account.id == me.id { try await Self.checkOwnPasswordChange(user, account, by: me, item: index + 1) }
            }
            if isGuest {
                if user.password != nil { throw APIError.params("Not allowed to set password for user \"guest\".") }
                if user.lang != nil { throw APIError.params("Not allowed to set language for user \"guest\".") }
                if user.theme != nil { throw APIError.params("Not allowed to set theme for user \"guest\".") }
            }
        }
        var hashes: [String?] = []
        for user in users { hashes.append(try await user.fields.password.asyncMap(Passwords.hash)) }
        let changed = users
        let passwordHashes = hashes
        try await database.transaction { db in
            try await changes.announce(.everything, in: db)
            try await Self.checkUpdate(db, changed, accounts, by: me)
            for (offset, user) in changed.enumerated() {
                guard let account = accounts[user.id] else { continue }
                var columns: [UserField] = []
                var details: [(String, JSON)] = []
                for field in user.fields.given where field != .usrgrps {
                    if field == .passwd {
                        columns.append(field)
                        details.append(("user.passwd", ["update", "******", "******"]))
                        continue
                    }
                    guard let new = user.fields.text(of: field) else { continue }
                    let old = account.text(of: field) ?? ""
                    guard new != old else { continue }
                    columns.append(field)
                    details.append(("user.\(field.rawValue)", ["update", .string(new), .string(old)]))
                }
                try await UserRepository.update(db, id: user.id, user.fields, columns: columns, passwordHash: passwordHashes[offset])
                if user.fields.password != nil {
                    // A new password signs the user out everywhere else (their own change keeps the session it came from).
                    var kept: String? = nil
                    if user.id == me.id, case .session(let sessionid) = me.credential { kept = sessionid }
                    try await SessionRepository.endAll(db, userid: user.id, except: kept)
                }
                if let groups = user.fields.groups {
                    details += try await GroupRepository.setMemberships(db, of: user.id, to: groups)
                }
                if !details.isEmpty {
                    try await AuditLog.write(
                        db,
                        caller,
                        [
                            .init(
                                action: .update,
                                resource: .user,
                                resourceid: user.id.description,
                                resourcename: account.username,
                                details: JSONObject(details)
                            )
                        ]
                    )
                }
            }
            if let groupless = try await UserRepository.firstWithoutGroup(db, among: ids) {
                throw APIError.params("User \"\(groupless)\" cannot be without user group.")
            }
        }
        changes.apply(.everything)
    }

    // MARK: - Delete, unblock

    /// Deletes users with their API tokens.
    public func delete(_ ids: [UserID], by caller: CallContext) async throws {
        try caller.principal.permissions.requireSuperAdmin(for: "user.delete")
        try UserID.checkList(ids)
        try await database.transaction { db in
            try await changes.announce(.everything, in: db)
            var accounts: [UserAccount] = []
            for id in ids {
                guard let account = try await UserRepository.account(db, id: id) else { throw APIError.noPermissions }
                if id == caller.principal.id { throw APIError.params("User is not allowed to delete himself.") }
                if account.username == "guest" {
                    throw APIError.params("Cannot delete Zabbix internal user \"guest\", try disabling that user.")
                }
                accounts.append(account)
            }
            if let readonly = try await RoleRepository.readonly(db), accounts.contains(where: { $0.roleid == readonly.id }),
                try await GroupRepository.activeSuperAdmins(db, excluding: ids) == 0
            {
                throw APIError.params("At least one active user must exist with role \"\(readonly.name)\".")
            }
            try await TokenRepository.clearCreator(db, ids)
            try await TokenService.delete(db, try await TokenRepository.owned(db, by: ids), by: caller)
            try await UserRepository.delete(db, ids: ids)
            try await AuditLog.write(
                db,
                caller,
                accounts.map { .init(action: .delete, resource: .user, resourceid: $0.id.description, resourcename: $0.username, details: nil) }
            )
        }
        changes.apply(.everything)
    }

    /// Forgets users' failed login attempts, so that a blocked user may sign in again at once.
    public func unblock(_ ids: [UserID], by caller: CallContext) async throws {
        try caller.principal.permissions.requireSuperAdmin(for: "user.unblock")
        try UserID.checkList(ids)
        try await database.transaction { db in
            guard try await UserRepository.count(db, ids: ids) == ids.count else { throw APIError.noPermissions }
            var records: [AuditLog.Record] = []
            for id in ids {
                // As Zabbix: a record for each user whose failure count changes, none for one not blocked.
                guard let account = try await UserRepository.account(db, id: id), account.attemptFailed != 0 else { continue }
                let details = AuditLog.updateDetails("user", [("attempt_failed", new: "0", old: String(account.attemptFailed))])
                records.append(.init(action: .update, resource: .user, resourceid: id.description, resourcename: account.username, details: details))
            }
            try await UserRepository.resetFailedLogins(db, ids: ids)
            try await AuditLog.write(db, caller, records)
        }
    }

    private func passwordPolicy() async throws -> PasswordPolicy {
        PasswordPolicy(try await database.read { db in try await Settings.load(db) })
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
