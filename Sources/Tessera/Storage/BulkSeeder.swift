import SQLKit

/// Inserts many tokens at once for benchmarks (`tessera seed-tokens`): multi-row inserts in large
/// transactions, ids from the `ids` table, values never kept (only their hashes are stored).
public enum BulkSeeder {
    /// Creates `count` enabled, never-expiring tokens named `<prefix>-<n>` for `userid`; returns how many.
    public static func seed(_ database: any Database, count: Int, userid: String, prefix: String, now: Int64) async throws -> Int {
        guard let owner = Int64(userid) else { throw ConfigurationError("user \(userid) does not exist") }
        let batch = 1000
        let perTransaction = 50
        var done = 0
        while done < count {
            let chunk = min(count - done, batch * perTransaction)
            let start = done
            try await database.transaction { db in
                var first = try await IDAllocator.reserve(db, table: "token", field: "tokenid", count: chunk)
                var inserted = 0
                while inserted < chunk {
                    let size = min(batch, chunk - inserted)
                    var rows: [SQLQueryString] = []
                    for i in 0..<size {
                        let n = start + inserted + i
                        rows.append(
                            "(\(bind: first), \(bind: "\(prefix)-\(n)"), '', \(bind: owner), \(bind: Secrets.tokenHash(Secrets.newToken())), 0, 0, 0, \(bind: now), \(bind: owner))"
                        )
                        first += 1
                    }
                    try await db.raw(
                        "INSERT INTO token (tokenid, name, description, userid, token, lastaccess, status, expires_at, created_at, creator_userid) VALUES "
                            + rows.joined(separator: ", ")
                    ).run()
                    inserted += size
                }
            }
            done += chunk
        }
        return done
    }
}

extension BulkSeeder {
    /// Creates (or regenerates) one token through the token service and returns its value.
    public static func probe(_ database: any Database, services: Services, userid: String, name: String) async throws -> String {
        guard let owner = UserID(userid), let account = try await database.read({ db in try await UserRepository.account(db, id: owner) })
        else {
            throw ConfigurationError("user \(userid) does not exist")
        }
        let rules = try await database.read { db in try await RoleRepository.rules(db, roleid: account.roleid) }
        let context = services.context(for: account.principal(.local, rules: rules), ip: "127.0.0.1")
        let existing = try await services.tokens.tokens(TokenQuery(owners: [owner], nameContains: name), by: context)
        if let found = existing.first(where: { $0.name == name }) {
            return try await services.tokens.generate(found.id, by: context).value
        }
        return try await services.tokens.createWithValue(TokenDraft(name: name, owner: owner), by: context).value
    }
}
