import SQLKit

/// The `token` table: the only code that reads or writes it.
enum TokenRepository {
    static let table = SchemaCatalogue.token.api

    /// Reads a row of every column of `table` (NULL creator as none, an unknown status as disabled).
    static func token(_ row: any SQLRow) throws -> Token {
        Token(
            id: TokenID(try row.decode(column: "tokenid", as: Int64.self)),
            name: try row.decode(column: "name", as: String.self),
            description: try row.decode(column: "description", as: String?.self) ?? "",
            owner: UserID(try row.decode(column: "userid", as: Int64.self)),
            lastAccess: try row.decode(column: "lastaccess", as: Int64?.self) ?? 0,
            status: TokenStatus(rawValue: try row.decode(column: "status", as: Int64.self)) ?? .disabled,
            expiry: Expiry(unixTime: try row.decode(column: "expires_at", as: Int64?.self) ?? 0),
            createdAt: try row.decode(column: "created_at", as: Int64?.self) ?? 0,
            creator: try row.decode(column: "creator_userid", as: Int64?.self).map { UserID($0) }
        )
    }

    // MARK: - Reads

    /// The tokens a query finds, or their number; `conditions` carry the caller's limits.
    static func find(_ db: any SQLDatabase, _ options: GetOptions, _ conditions: Conditions) async throws -> GetQuery.Listed<Token> {
        try await GetQuery.fetch(db, table, options, conditions, columns: table.columnNames, decode: token)
    }

    /// The tokens among `ids`, limited to one owner's when `owner` is set, by id.
    static func tokens(_ db: any SQLDatabase, ids: [TokenID], owner: UserID?) async throws -> [TokenID: Token] {
        var conditions = Conditions()
        conditions.add(.among("tokenid", ids.map(\.value)))
        if let owner { conditions.add("userid = \(bind: owner.value)") }
        let rows = try await db.raw("SELECT \(names: table.columnNames) FROM token" + conditions.clause).all()
        var found: [TokenID: Token] = [:]
        for row in rows {
            let token = try token(row)
            found[token.id] = token
        }
        return found
    }

    /// The first existing token (by id) that has one of these owner and name pairs.
    static func firstWithName(_ db: any SQLDatabase, _ pairs: [(owner: UserID, name: String)]) async throws -> (name: String, owner: UserID)? {
        guard !pairs.isEmpty else { return nil }
        let matches: [SQLQueryString] = pairs.map { "(userid = \(bind: $0.owner.value) AND name = \(bind: $0.name))" }
        let query: SQLQueryString = "SELECT userid, name FROM token WHERE " + matches.joined(separator: " OR ") + " ORDER BY tokenid LIMIT 1"
        guard let row = try await db.raw(query).first() else { return nil }
        return (try row.decode(column: "name", as: String.self), UserID(try row.decode(column: "userid", as: Int64.self)))
    }

    /// The tokens of these owners, by id, with their names.
    static func owned(_ db: any SQLDatabase, by owners: [UserID]) async throws -> [(id: TokenID, name: String)] {
        let rows = try await db.raw("SELECT tokenid, name FROM token WHERE " + .among("userid", owners.map(\.value)) + " ORDER BY tokenid").all()
        return try rows.map { (TokenID(try $0.decode(column: "tokenid", as: Int64.self)), try $0.decode(column: "name", as: String.self)) }
    }

    /// What authentication needs of the token whose value has this SHA-512 (hex).
    static func credential(_ db: any SQLDatabase, hash: String) async throws -> (id: TokenID, owner: UserID, expiry: Expiry, status: TokenStatus?)? {
        guard let row = try await db.raw("SELECT tokenid, userid, expires_at, status FROM token WHERE token = \(bind: hash)").first() else {
            return nil
        }
        return (
            TokenID(try row.decode(column: "tokenid", as: Int64.self)), UserID(try row.decode(column: "userid", as: Int64.self)),
            Expiry(unixTime: try row.decode(column: "expires_at", as: Int64.self)),
            TokenStatus(rawValue: try row.decode(column: "status", as: Int64.self))
        )
    }

    // MARK: - Writes

    /// Adds a token without a value.
    static func insert(_ db: any SQLDatabase, _ token: Token) async throws {
        try await db.raw(
            """
            INSERT INTO token (tokenid, name, description, userid, token, lastaccess, status, expires_at, created_at, creator_userid)
            VALUES (\(bind: token.id.value), \(bind: token.name), \(bind: token.description), \(bind: token.owner.value), NULL,
                \(bind: token.lastAccess), \(bind: token.status.rawValue), \(bind: token.expiry.unixTime), \(bind: token.createdAt),
                \(bind: token.creator?.value))
            """
        ).run()
    }

    /// Writes the fields of `token` named in `fields` (name, description, status, expires_at).
    static func update(_ db: any SQLDatabase, _ token: Token, fields: [TokenField]) async throws {
        var sets: [SQLQueryString] = []
        for field in fields {
            switch field {
            case .name: sets.append("name = \(bind: token.name)")
            case .description: sets.append("description = \(bind: token.description)")
            case .status: sets.append("status = \(bind: token.status.rawValue)")
            case .expiresAt: sets.append("expires_at = \(bind: token.expiry.unixTime)")
            case .userid: sets.append("userid = \(bind: token.owner.value)")
            }
        }
        guard !sets.isEmpty else { return }
        try await db.raw("UPDATE token SET " + sets.joined(separator: ", ") + " WHERE tokenid = \(bind: token.id.value)").run()
    }

    /// Gives a token a new value (stored as its hash) and records who did.
    static func setValue(_ db: any SQLDatabase, _ id: TokenID, hash: String, creator: UserID) async throws {
        try await db.raw("UPDATE token SET token = \(bind: hash), creator_userid = \(bind: creator.value) WHERE tokenid = \(bind: id.value)").run()
    }

    /// Records the last use of a token, unless a later one is recorded already.
    static func recordUse(_ db: any SQLDatabase, _ id: TokenID, at time: Int64) async throws {
        try await db.raw("UPDATE token SET lastaccess = \(bind: time) WHERE tokenid = \(bind: id.value) AND lastaccess < \(bind: time)").run()
    }

    static func delete(_ db: any SQLDatabase, ids: [TokenID]) async throws {
        try await db.raw("DELETE FROM token WHERE " + .among("tokenid", ids.map(\.value))).run()
    }

    /// Forgets these users as the creators of tokens (before the users are deleted).
    static func clearCreator(_ db: any SQLDatabase, _ creators: [UserID]) async throws {
        try await db.raw("UPDATE token SET creator_userid = NULL WHERE " + .among("creator_userid", creators.map(\.value))).run()
    }
}

extension TokenRepository {
    /// A token query's conditions for a caller whose reads are limited to `owner`'s tokens (nil: none).
    static func conditions(_ query: TokenQuery, limitedTo owner: UserID?) -> Conditions {
        var conditions = Conditions()
        if let owner { conditions.add("userid = \(bind: owner.value)") }
        if let ids = query.ids { conditions.add(.among("tokenid", ids.map(\.value))) }
        if let owners = query.owners { conditions.add(.among("userid", owners.map(\.value))) }
        if let creators = query.creators { conditions.add(.among("creator_userid", creators.map(\.value))) }
        if let status = query.status { conditions.add("status = \(bind: status.rawValue)") }
        if let value = query.value { conditions.add("token = \(bind: Secrets.tokenHash(value))") }
        if let validAt = query.validAt { conditions.add("expires_at = 0 OR expires_at > \(bind: validAt)") }
        if let expiredAt = query.expiredAt { conditions.add("expires_at <> 0 AND expires_at <= \(bind: expiredAt)") }
        return conditions
    }
}
