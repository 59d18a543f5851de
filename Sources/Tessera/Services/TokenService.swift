import SQLKit

/// The rules of API tokens (token spec §2), for the API, the web UI and the command line alike: who may
/// change which tokens, unique names per owner, values made and stored only as hashes, audit records,
/// and telling every instance's token cache about each change.
public struct TokenService: Sendable {
    let database: any Database
    /// Told about every change that can alter whether a token authenticates.
    let changes: ChangeFeed
    let lastAccess: LastAccessRecorder

    /// Refuses a caller who may not change tokens: the user named `guest` (before anything else, also
    /// before the parameters are read), or a role without *Manage API tokens*.
    public func authorizeChange(by caller: CallContext) throws(APIError) {
        let permissions = caller.principal.permissions
        guard permissions.mayChangeTokens, permissions.mayManageTokens else { throw APIError.noOperationPermission }
    }

    // MARK: - Create

    /// Creates tokens without values (`token.generate` gives them one); returns their ids in order.
    public func create(_ drafts: [TokenDraft], by caller: CallContext) async throws -> [TokenID] {
        try authorizeChange(by: caller)
        for (index, draft) in drafts.enumerated() { try Self.check(draft.name, draft.description, draft.expiry, item: index + 1) }
        return try await database.transaction { db in try await insert(db, drafts, by: caller) }
    }

    /// Creates a token and gives it its value at once, in one transaction (the web UI's and the command
    /// line's create): the value in the result is the only copy there will ever be.
    public func createWithValue(_ draft: TokenDraft, by caller: CallContext) async throws -> GeneratedToken {
        try authorizeChange(by: caller)
        try Self.check(draft.name, draft.description, draft.expiry, item: 1)
        let generated = try await database.transaction { db in
            let ids = try await insert(db, [draft], by: caller)
            // A token without a value is in no cache yet: nothing to announce.
            let created = try await TokenRepository.tokens(db, ids: ids, owner: nil)
            guard let generated = try await newValues(db, ids, created, by: caller).first else { throw APIError.noPermissions }
            return generated
        }
        return generated
    }

    private func insert(_ db: any SQLDatabase, _ drafts: [TokenDraft], by caller: CallContext) async throws -> [TokenID] {
        let me = caller.principal.id
        let owners = drafts.map { $0.owner ?? me }
        try Self.checkUnique(zip(owners, drafts.map(\.name)).map { ($0, $1) })
        var checked = Set<UserID>()
        for owner in owners where owner != me && checked.insert(owner).inserted {
            guard caller.principal.permissions.mayCreateToken(for: owner), try await UserRepository.exists(db, userid: owner.description) else {
                throw APIError.params("User with ID \"\(owner)\" is not available.")
            }
        }
        try await Self.checkNamesFree(db, zip(owners, drafts.map(\.name)).map { ($0, $1) })
        let first = try await IDAllocator.reserve(db, table: "token", field: "tokenid", count: drafts.count)
        var records: [AuditLog.Record] = []
        var ids: [TokenID] = []
        for (offset, draft) in drafts.enumerated() {
            let token = Token(
                id: TokenID(first + Int64(offset)),
                name: draft.name,
                description: draft.description,
                owner: owners[offset],
                lastAccess: 0,
                status: draft.status,
                expiry: draft.expiry,
                createdAt: caller.now,
                creator: me
            )
            try await TokenRepository.insert(db, token)
            ids.append(token.id)
            records.append(
                .init(
                    action: .add,
                    resource: .apiToken,
                    resourceid: token.id.description,
                    resourcename: token.name,
                    details: AuditLog.addDetails("token", Self.addedFields(draft, token))
                )
            )
        }
        try await AuditLog.write(db, caller, records)
        return ids
    }

    /// The audit details of a new token: the fields given with other than their default values, in the
    /// order given, an owner that was not given (the caller) after them, then the id.
    private static func addedFields(_ draft: TokenDraft, _ token: Token) -> [(String, String)] {
        var given = draft.given.filter { $0 != .userid || draft.owner != nil }
        if draft.owner == nil { given.append(.userid) }
        var fields: [(String, String)] = []
        for field in given {
            let text = token.text(of: field)
            let isDefault = (field == .description && text.isEmpty) || ((field == .status || field == .expiresAt) && text == "0")
            if !isDefault { fields.append((field.rawValue, text)) }
        }
        fields.append(("tokenid", token.id.description))
        return fields
    }

    // MARK: - Update

    /// Changes tokens the caller may change (`onlyOwn`: only the caller's own, as under User settings);
    /// returns their ids. Unchanged fields are not written and not audited.
    @discardableResult
    public func update(_ changes: [TokenChange], by caller: CallContext, onlyOwn: Bool = false) async throws -> [TokenID] {
        try authorizeChange(by: caller)
        let ids = changes.map(\.id)
        try await requireOwn(ids, by: caller, onlyOwn: onlyOwn)
        if ids.isEmpty { throw APIError.invalid("/", "cannot be empty") }
        for (index, change) in changes.enumerated() { try Self.check(change.name, change.description, change.expiry, item: index + 1) }
        try Self.checkUnique(ids.map { [$0.description] }, fields: "tokenid")
        try await database.transaction { db in
            let existing = try await visible(db, ids, by: caller, onlyOwn: onlyOwn)
            let edits = changes.compactMap { change in existing[change.id].map { (change: change, old: $0) } }
            try Self.checkUnique(edits.compactMap { edit in edit.change.name.map { (edit.old.owner, $0) } })
            try await Self.checkNamesFree(
                db,
                edits.compactMap { edit in
                    guard let name = edit.change.name, name != edit.old.name else { return nil }
                    return (edit.old.owner, name)
                }
            )
            var records: [AuditLog.Record] = []
            for (change, old) in edits {
                let new = old.applying(change)
                let edited = change.given.filter { $0 != .userid && new.text(of: $0) != old.text(of: $0) }
                guard !edited.isEmpty else { continue }
                try await TokenRepository.update(db, new, fields: edited)
                records.append(
                    .init(
                        action: .update,
                        resource: .apiToken,
                        resourceid: old.id.description,
                        resourcename: old.name,
                        details: AuditLog.updateDetails("token", edited.map { ($0.rawValue, new.text(of: $0), old.text(of: $0)) })
                    )
                )
            }
            try await AuditLog.write(db, caller, records)
        }
        self.changes.apply(.tokens(ids.map(\.description)))
        return ids
    }

    /// Enables or disables tokens.
    public func setStatus(_ status: TokenStatus, of ids: [TokenID], by caller: CallContext, onlyOwn: Bool = false) async throws {
        try await update(ids.map { TokenChange(id: $0, status: status, given: [.status]) }, by: caller, onlyOwn: onlyOwn)
    }

    // MARK: - Delete

    /// Deletes tokens the caller may change; they stop working on every instance.
    public func delete(_ ids: [TokenID], by caller: CallContext, onlyOwn: Bool = false) async throws {
        try authorizeChange(by: caller)
        try await requireOwn(ids, by: caller, onlyOwn: onlyOwn)
        try TokenID.checkList(ids)
        try await database.transaction { db in
            let existing = try await visible(db, ids, by: caller, onlyOwn: onlyOwn)
            try await Self.delete(db, ids.map { ($0, existing[$0]?.name ?? "") }, by: caller)
        }
        changes.apply(.tokens(ids.map(\.description)))
    }

    /// Deletes tokens with one audit DELETE record each (also when their owner is deleted).
    static func delete(_ db: any SQLDatabase, _ tokens: [(id: TokenID, name: String)], by caller: CallContext) async throws {
        guard !tokens.isEmpty else { return }
        try await TokenRepository.delete(db, ids: tokens.map(\.id))
        try await AuditLog.write(
            db,
            caller,
            tokens.map { .init(action: .delete, resource: .apiToken, resourceid: $0.id.description, resourcename: $0.name, details: nil) }
        )
    }

    // MARK: - Generate

    /// Gives tokens new values; their old values stop working on every instance.
    public func generate(_ ids: [TokenID], by caller: CallContext, onlyOwn: Bool = false) async throws -> [GeneratedToken] {
        try authorizeChange(by: caller)
        try await requireOwn(ids, by: caller, onlyOwn: onlyOwn)
        try TokenID.checkList(ids)
        let generated = try await database.transaction { db in
            try await newValues(db, ids, try await visible(db, ids, by: caller, onlyOwn: onlyOwn), by: caller)
        }
        changes.apply(.tokens(ids.map(\.description)))
        return generated
    }

    /// Gives one token a new value.
    public func generate(_ id: TokenID, by caller: CallContext, onlyOwn: Bool = false) async throws -> GeneratedToken {
        guard let generated = try await generate([id], by: caller, onlyOwn: onlyOwn).first else { throw APIError.noPermissions }
        return generated
    }

    private func newValues(
        _ db: any SQLDatabase,
        _ ids: [TokenID],
        _ tokens: [TokenID: Token],
        by caller: CallContext
    ) async throws
        -> [GeneratedToken]
    {
        var generated: [GeneratedToken] = []
        for id in ids {
            let value = Secrets.newToken()
            try await TokenRepository.setValue(db, id, hash: Secrets.tokenHash(value), creator: caller.principal.id)
            generated.append(GeneratedToken(id: id, value: value))
        }
        try await AuditLog.write(
            db,
            caller,
            ids.map {
                .init(
                    action: .update,
                    resource: .apiToken,
                    resourceid: $0.description,
                    resourcename: tokens[$0]?.name ?? "",
                    details: AuditLog.updateDetails("token", [("token", "******", "******")])
                )
            }
        )
        return generated
    }

    // MARK: - Read

    /// The tokens a query finds among those the caller may see, with uses not yet written counted.
    public func tokens(_ query: TokenQuery, by caller: CallContext) async throws -> [Token] {
        guard case .rows(let tokens) = try await find(query, by: caller) else { return [] }
        return tokens
    }

    /// The tokens a query finds, or their number when its options ask for a count.
    func find(_ query: TokenQuery, by caller: CallContext) async throws -> GetQuery.Listed<Token> {
        let conditions = TokenRepository.conditions(query, limitedTo: caller.principal.permissions.tokenOwnerLimit())
        let options = query.listOptions
        switch try await database.read({ db in try await TokenRepository.find(db, options, conditions) }) {
        case .count(let count): return .count(count)
        case .rows(var tokens):
            for index in tokens.indices { tokens[index].lastAccess = latestUse(tokens[index].id.value, stored: tokens[index].lastAccess) }
            return .rows(tokens)
        }
    }

    /// What `find` finds, as `token.get` prints it: only the columns its `output` names are read. This
    /// is `token.get`'s own path because it is on every API client's hot path, and decoding whole tokens
    /// for a call that asks for `tokenid` alone cost a fifth of its throughput at 100,000 tokens.
    func rows(_ query: TokenQuery, by caller: CallContext) async throws -> GetQuery.Found {
        let conditions = TokenRepository.conditions(query, limitedTo: caller.principal.permissions.tokenOwnerLimit())
        let options = query.listOptions
        switch try await database.read({ db in try await GetQuery.rows(db, TokenRepository.table, options, conditions) }) {
        case .count(let count): return .count(count)
        case .rows(var rows):
            for index in rows.indices where rows[index].object.has("lastaccess") {
                guard let id = Int64(rows[index].key) else { continue }
                let stored = rows[index].object["lastaccess"]?.stringValue.flatMap { Int64($0) } ?? 0
                rows[index].object["lastaccess"] = .string(String(latestUse(id, stored: stored)))
            }
            return .rows(rows)
        }
    }

    /// A token's last use: the stored one, or a later one the recorder has not written yet.
    private func latestUse(_ tokenid: Int64, stored: Int64) -> Int64 {
        guard let pending = lastAccess.pendingValue(tokenid: tokenid), pending > stored else { return stored }
        return pending
    }
}

extension Token {
    /// A field's value as the API prints it and the audit log records it.
    func text(of field: TokenField) -> String {
        switch field {
        case .name: return name
        case .description: return description
        case .userid: return owner.description
        case .status: return String(status.rawValue)
        case .expiresAt: return String(expiry.unixTime)
        }
    }

    /// The token with a change's fields set.
    func applying(_ change: TokenChange) -> Token {
        var token = self
        if let name = change.name { token.name = name }
        if let description = change.description { token.description = description }
        if let status = change.status { token.status = status }
        if let expiry = change.expiry { token.expiry = expiry }
        return token
    }
}
