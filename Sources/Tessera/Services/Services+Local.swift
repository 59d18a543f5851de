extension Services {
    /// The caller of a command run on the server's own machine (`tessera user …`, `tessera token …`):
    /// `username`, or userid 1 (Admin in a new installation) when nil, without a password
    /// (`Credential.local`). A user that does not exist or is disabled is refused, as the API refuses
    /// its sessions and tokens. The calls of one caller share an audit record set.
    public func localCaller(as username: String?, ip: String) async throws -> CallContext {
        let account = try await database.read { db in
            if let username { return try await UserRepository.account(db, username: username) }
            return try await UserRepository.account(db, id: UserID(1))
        }
        let who = username.map { "\"\($0)\"" } ?? "userid 1"
        guard let account else { throw ConfigurationError("cannot act as \(who): there is no such user") }
        guard !account.isDisabled else { throw ConfigurationError("cannot act as \(who): the user is disabled") }
        let rules = try await database.read { db in try await RoleRepository.rules(db, roleid: account.roleid) }
        return context(for: account.principal(.local, rules: rules), ip: ip)
    }
}
