import SQLKit

/// The `token.*` rules (token spec §2), shared by the API, the UI and the CLI.
public struct TokenService: Sendable {
    let database: any Database
    /// Told about every change that can alter whether a token authenticates.
    let changes: ChangeFeed
    let lastAccess: LastAccessRecorder

    static let table = Table(
        name: "token", primaryKey: "tokenid",
        columns: [
            ("tokenid", .id), ("name", .text), ("description", .text), ("userid", .id), ("lastaccess", .int),
            ("status", .int), ("expires_at", .int), ("created_at", .int), ("creator_userid", .id),
        ])

    // MARK: - Parameter rules

    static let createRule = ObjectRule([
        .required("name", .string(maxLength: 64, notEmpty: true)),
        .optional("description", .string(maxLength: 65535)),
        .optional("userid", .id()),
        .optional("status", .int32(allowed: .status)),
        .optional("expires_at", .int32()),
    ])

    static let updateRule = ObjectRule([
        .required("tokenid", .id()),
        .optional("name", .string(maxLength: 64, notEmpty: true)),
        .optional("description", .string(maxLength: 65535)),
        .optional("status", .int32(allowed: .status)),
        .optional("expires_at", .int32()),
    ])

    static let getRule = ObjectRule.strictGet(
        [
            .optional("tokenids", .list(.id(), normalize: true, nullable: true)),
            .optional("userids", .list(.id(), normalize: true, nullable: true)),
            .optional("token", .string(maxLength: 64, nullable: true)),
            .optional("valid_at", .int32(nullable: true)),
            .optional("expired_at", .int32(nullable: true)),
        ],
        filter: ["tokenid", "name", "userid", "lastaccess", "status", "expires_at", "created_at", "creator_userid"],
        search: ["name", "description"], output: table.columnNames,
        sortable: ["tokenid", "name", "lastaccess", "status", "expires_at", "created_at"])

    /// Token changes are refused to the user named `guest` before anything else.
    private func refuseGuest(_ context: CallContext) throws {
        if context.principal.isGuest { throw APIError.noOperationPermission }
    }

    // MARK: - create

    public func create(_ context: CallContext, _ params: JSON) async throws -> JSON {
        try refuseGuest(context)
        let caller = context.principal
        var items = try ParamShape.objects(params, Self.createRule)
        for index in items.indices where items[index]["userid"] == nil {
            items[index]["userid"] = .string(caller.userid)
        }
        try ParamShape.checkUnique(items, fields: ["userid", "name"])
        let tokens = items
        let ids = try await database.transaction { db -> [String] in
            var checked = Set<String>()
            for item in tokens {
                let userid = item["userid"]!.stringValue!
                guard userid != caller.userid, checked.insert(userid).inserted else { continue }
                guard caller.isSuperAdmin, try await UserRepository.exists(db, userid: userid) else {
                    throw APIError.params("User with ID \"\(userid)\" is not available.")
                }
            }
            try await Self.checkNamesFree(db, tokens.map { ($0["userid"]!.stringValue!, $0["name"]!.stringValue!) })
            let first = try await IDAllocator.reserve(db, table: "token", field: "tokenid", count: tokens.count)
            var ids: [String] = []
            var records: [AuditLog.Record] = []
            for (offset, item) in tokens.enumerated() {
                let tokenid = first + Int64(offset)
                let description = item["description"]?.stringValue ?? ""
                let status = item["status"]?.scalarText.flatMap { Int64($0) } ?? 0
                let expiresAt = item["expires_at"]?.scalarText.flatMap { Int64($0) } ?? 0
                try await db.raw(
                    """
                    INSERT INTO token (tokenid, name, description, userid, token, lastaccess, status, expires_at, created_at, creator_userid)
                    VALUES (\(bind: tokenid), \(bind: item["name"]!.stringValue!), \(bind: description), \(bind: Int64(item["userid"]!.stringValue!)!),
                        NULL, 0, \(bind: status), \(bind: expiresAt), \(bind: context.now), \(bind: Int64(caller.userid)!))
                    """
                ).run()
                ids.append(String(tokenid))
                // Non-default fields in input order, then tokenid.
                var details: [(String, String)] = []
                for (key, value) in item.pairs {
                    let text = value.scalarText ?? ""
                    let isDefault = (key == "description" && text.isEmpty) || ((key == "status" || key == "expires_at") && text == "0")
                    if !isDefault { details.append((key, text)) }
                }
                details.append(("tokenid", String(tokenid)))
                records.append(.init(action: .add, resource: .apiToken, resourceid: String(tokenid),
                                     resourcename: item["name"]!.stringValue!, details: AuditLog.addDetails("token", details)))
            }
            try await AuditLog.write(db, context, records)
            return ids
        }
        return ["tokenids": .array(ids.map { .string($0) })]
    }

    /// Refuses names a user already has, naming the first existing token that clashes (the whole
    /// set is looked up at once, so renaming two tokens to each other's names fails too).
    private static func checkNamesFree(_ db: any SQLDatabase, _ pairs: [(userid: String, name: String)]) async throws {
        guard !pairs.isEmpty else { return }
        let matches: [SQLQueryString] = pairs.map { "(userid = \(bind: Int64($0.userid)!) AND name = \(bind: $0.name))" }
        let query: SQLQueryString = "SELECT userid, name FROM token WHERE " + matches.joined(separator: " OR ") + " ORDER BY tokenid LIMIT 1"
        if let row = try await db.raw(query).first() {
            let name = try row.decode(column: "name", as: String.self), userid = try row.decode(column: "userid", as: Int64.self)
            throw APIError.params("API token \"\(name)\" already exists for userid \"\(userid)\".")
        }
    }

    // MARK: - update

    public func update(_ context: CallContext, _ params: JSON) async throws -> JSON {
        try refuseGuest(context)
        let items = try ParamShape.objects(params, Self.updateRule)
        try ParamShape.checkUnique(items, fields: ["tokenid"])
        let ids = items.map { $0["tokenid"]!.stringValue! }
        try await database.transaction { db in
            try await changes.announce(.tokens(ids), in: db)
            let existing = try await visibleTokens(db, context, ids: ids)
            guard existing.count == Set(ids).count else { throw APIError.noPermissions }
            var withOwners = items
            for index in withOwners.indices {
                withOwners[index]["userid"] = existing[ids[index]]!["userid"]
            }
            try ParamShape.checkUnique(withOwners.filter { $0["name"] != nil }, fields: ["userid", "name"])
            try await Self.checkNamesFree(db, withOwners.compactMap { item in
                let old = existing[item["tokenid"]!.stringValue!]!
                guard let name = item["name"]?.stringValue, name != old["name"]?.stringValue else { return nil }
                return (old["userid"]!.stringValue!, name)
            })
            var records: [AuditLog.Record] = []
            for item in items {
                let tokenid = item["tokenid"]!.stringValue!
                let old = existing[tokenid]!
                var edits: [(String, new: String, old: String)] = []
                for (key, value) in item.pairs where key != "tokenid" {
                    let new = value.scalarText ?? "", previous = old[key]?.stringValue ?? ""
                    if new != previous { edits.append((key, new, previous)) }
                }
                guard !edits.isEmpty else { continue }
                var sets: [SQLQueryString] = []
                for change in edits {
                    if change.0 == "name" || change.0 == "description" {
                        sets.append("\(ident: change.0) = \(bind: change.new)")
                    } else {
                        sets.append("\(ident: change.0) = \(bind: Int64(change.new)!)")
                    }
                }
                try await db.raw("UPDATE token SET " + sets.joined(separator: ", ") + " WHERE tokenid = \(bind: Int64(tokenid)!)").run()
                records.append(.init(action: .update, resource: .apiToken, resourceid: tokenid,
                                     resourcename: old["name"]?.stringValue ?? "", details: AuditLog.updateDetails("token", edits)))
            }
            try await AuditLog.write(db, context, records)
        }
        changes.apply(.tokens(ids))
        return ["tokenids": .array(ids.map { .string($0) })]
    }

    /// The tokens among `ids` that the caller may see (its own, or all for a Super admin), by id.
    private func visibleTokens(_ db: any SQLDatabase, _ context: CallContext, ids: [String]) async throws -> [String: JSONObject] {
        var conditions = Conditions()
        conditions.add(.among("tokenid", ids.compactMap { Int64($0) }))
        if !context.principal.isSuperAdmin { conditions.add("userid = \(bind: Int64(context.principal.userid)!)") }
        let rows = try await db.raw("SELECT \(idents: Self.table.columnNames, joinedBy: ", ") FROM token" + conditions.clause).all()
        var result: [String: JSONObject] = [:]
        for row in rows {
            let object = try Self.table.decode(row, columns: Self.table.columnNames)
            result[object["tokenid"]!.stringValue!] = object
        }
        return result
    }

    // MARK: - delete

    public func delete(_ context: CallContext, _ params: JSON) async throws -> JSON {
        try refuseGuest(context)
        let ids = try ParamShape.idList(params)
        try await database.transaction { db in
            try await changes.announce(.tokens(ids), in: db)
            let existing = try await visibleTokens(db, context, ids: ids)
            guard existing.count == ids.count else { throw APIError.noPermissions }
            try await Self.deleteTokens(db, context, ids.map { ($0, existing[$0]!["name"]?.stringValue ?? "") })
        }
        changes.apply(.tokens(ids))
        return ["tokenids": .array(ids.map { .string($0) })]
    }

    /// Deletes tokens with one audit DELETE record each (also used when their owner is deleted).
    static func deleteTokens(_ db: any SQLDatabase, _ context: CallContext, _ tokens: [(tokenid: String, name: String)]) async throws {
        guard !tokens.isEmpty else { return }
        try await db.raw("DELETE FROM token WHERE " + .among("tokenid", tokens.compactMap { Int64($0.tokenid) })).run()
        try await AuditLog.write(db, context, tokens.map {
            .init(action: .delete, resource: .apiToken, resourceid: $0.tokenid, resourcename: $0.name, details: nil)
        })
    }

    // MARK: - generate

    public func generate(_ context: CallContext, _ params: JSON) async throws -> JSON {
        try refuseGuest(context)
        let ids = try ParamShape.idList(params)
        let results = try await database.transaction { db -> [JSON] in
            try await changes.announce(.tokens(ids), in: db)
            let existing = try await visibleTokens(db, context, ids: ids)
            guard existing.count == ids.count else { throw APIError.noPermissions }
            var results: [JSON] = []
            var records: [AuditLog.Record] = []
            for tokenid in ids {
                let value = Secrets.newToken()
                try await db.raw(
                    """
                    UPDATE token SET token = \(bind: Secrets.tokenHash(value)), creator_userid = \(bind: Int64(context.principal.userid)!)
                    WHERE tokenid = \(bind: Int64(tokenid)!)
                    """
                ).run()
                results.append(["tokenid": .string(tokenid), "token": .string(value)])
                records.append(.init(action: .update, resource: .apiToken, resourceid: tokenid,
                                     resourcename: existing[tokenid]!["name"]?.stringValue ?? "",
                                     details: AuditLog.updateDetails("token", [("token", "******", "******")])))
            }
            try await AuditLog.write(db, context, records)
            return results
        }
        changes.apply(.tokens(ids))
        return .array(results)
    }

    // MARK: - get

    public func get(_ context: CallContext, _ params: JSON) async throws -> JSON {
        let object = try Validator.object(params, Self.getRule, path: "/")
        var conditions = Conditions()
        if !context.principal.isSuperAdmin { conditions.add("userid = \(bind: Int64(context.principal.userid)!)") }
        if let ids = object["tokenids"]?.arrayValue { conditions.add(.among("tokenid", ids.compactMap { $0.stringValue.flatMap { Int64($0) } })) }
        if let ids = object["userids"]?.arrayValue { conditions.add(.among("userid", ids.compactMap { $0.stringValue.flatMap { Int64($0) } })) }
        if let token = object["token"]?.stringValue { conditions.add("token = \(bind: Secrets.tokenHash(token))") }
        if case .number(let n)? = object["valid_at"] { conditions.add("expires_at = 0 OR expires_at > \(bind: Int64(n)!)") }
        if case .number(let n)? = object["expired_at"] { conditions.add("expires_at <> 0 AND expires_at <= \(bind: Int64(n)!)") }
        let options = GetOptions(object), where_ = conditions
        let found = try await database.read { db in try await GetQuery.rows(db, Self.table, options, where_) }
        switch found {
        case .count(let n): return .string(String(n))
        case .rows(var rows):
            // Uses not yet written by the lastaccess recorder.
            for index in rows.indices where rows[index].object.has("lastaccess") {
                if let pending = lastAccess.pendingValue(tokenid: Int64(rows[index].key)!),
                    pending > Int64(rows[index].object["lastaccess"]?.stringValue ?? "0") ?? 0
                {
                    rows[index].object["lastaccess"] = .string(String(pending))
                }
            }
            return GetQuery.shape(rows, options)
        }
    }
}
