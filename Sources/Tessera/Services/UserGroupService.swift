import SQLKit

/// The `usergroup.*` rules (users spec §4).
public struct UserGroupService: Sendable {
    let database: any Database
    /// Told about every change that can alter whether a token authenticates.
    let changes: ChangeFeed

    static let table = GroupRepository.table

    static let fieldRules: [ObjectRule.Field] = [
        .optional("name", .string(maxLength: 64, notEmpty: true)),
        .optional("gui_access", .int32(allowed: .values(0, 1, 2, 3))),
        .optional("users_status", .int32(allowed: .status)),
        .optional("debug_mode", .int32(allowed: .status)),
        .optional("users", .objects(ObjectRule([.required("userid", .id())]), uniqueBy: ["userid"])),
        .optional("rights", .any),
        .optional("tag_filters", .any),
    ]

    static var createRule: ObjectRule {
        var fields = fieldRules
        fields[0] = .required("name", .string(maxLength: 64, notEmpty: true))
        return ObjectRule(fields)
    }

    static var updateRule: ObjectRule { ObjectRule([.required("usrgrpid", .id())] + fieldRules) }

    static let writable = ["name", "gui_access", "users_status", "debug_mode"]

    /// `userids` is the deprecated form of `users`.
    private static func resolveUserids(_ params: JSON) throws(APIError) -> JSON {
        .array(
            try ParamShape.items(params).map { item throws(APIError) -> JSON in
                guard case .object(var object) = item, let ids = object["userids"] else { return item }
                if object["users"] != nil { throw APIError.params("Parameter \"userids\" is deprecated.") }
                object["userids"] = nil
                object["users"] = .array((ids.listElements ?? [ids]).map { ["userid": $0] })
                return .object(object)
            }
        )
    }

    // MARK: - get

    public func get(_ context: CallContext, _ params: JSON) async throws -> JSON {
        let (options, object) = try GetOptions.legacy(params, table: Self.table, sortable: ["usrgrpid", "name"])
        let caller = context.principal
        if object["editable"].isTruthy, !caller.isSuperAdmin { return options.countOutput ? "0" : [] }
        var conditions = Conditions()
        if !caller.isSuperAdmin {
            conditions.add("usrgrpid IN (SELECT usrgrpid FROM users_groups WHERE userid = \(bind: Int64(caller.userid)!))")
        }
        if let ids = object["usrgrpids"].map(SelectOption.ids) { conditions.add(.among("usrgrpid", ids)) }
        if let ids = object["userids"].map(SelectOption.ids) {
            conditions.add("usrgrpid IN (SELECT usrgrpid FROM users_groups WHERE " + .among("userid", ids) + ")")
        }
        if let status = object["status"]?.scalarText, let value = Int64(status) { conditions.add("users_status = \(bind: value)") }
        let where_ = conditions
        return try await database.read { db in
            switch try await GetQuery.rows(db, Self.table, options, where_) {
            case .count(let n): return .string(String(n))
            case .rows(var rows):
                if let select = object["selectUsers"], select != .null, select != "count" {
                    let fields = SelectOption.fields(select, UserService.table, alwaysKey: true)
                    // The group flags of each user come with "extend" or when asked for by name.
                    let names = Set((select.listElements ?? []).compactMap(\.stringValue))
                    let flagFields = ["gui_access", "debug_mode", "users_status"].filter { select == "extend" || names.contains($0) }
                    for i in rows.indices {
                        let users = try await db.raw(
                            """
                            SELECT \(unsafeRaw: UserService.table.columnNames.map { "u." + $0 }.joined(separator: ", ")) FROM users u
                            JOIN users_groups ug ON ug.userid = u.userid WHERE ug.usrgrpid = \(bind: Int64(rows[i].key)!) ORDER BY u.userid
                            """
                        ).all()
                        var objects = try users.map { try UserService.table.decode($0, columns: fields) }
                        if !flagFields.isEmpty {
                            let flags = try await UserRepository.groupFlags(db, userids: objects.compactMap { $0["userid"]?.stringValue })
                            for j in objects.indices {
                                let f = flags[objects[j]["userid"]!.stringValue!] ?? (0, 0, 0)
                                let values = ["gui_access": f.gui, "debug_mode": f.debug, "users_status": f.status]
                                for field in flagFields { objects[j][field] = .string(String(values[field]!)) }
                            }
                        }
                        rows[i].object["users"] = .array(objects.map { .object($0) })
                    }
                }
                if object["selectRights"].map({ $0 != .null }) ?? false { for i in rows.indices { rows[i].object["rights"] = [] } }
                if object["selectTagFilters"].map({ $0 != .null }) ?? false { for i in rows.indices { rows[i].object["tag_filters"] = [] } }
                return GetQuery.shape(rows, options)
            }
        }
    }

    // MARK: - create / update

    public func create(_ context: CallContext, _ params: JSON) async throws -> JSON {
        let items = try ParamShape.objects(try Self.resolveUserids(params), Self.createRule)
        try ParamShape.checkUnique(items, fields: ["name"])
        let ids = try await database.transaction { db -> [String] in
            try await changes.announce(.everything, in: db)
            for item in items { try await Self.checkNameFree(db, item["name"]!.stringValue!, except: nil) }
            try await Self.checkUsers(db, items)
            for item in items { try Self.checkSelf(context, item, groupStays: true) }
            let first = try await IDAllocator.reserve(db, table: "usrgrp", field: "usrgrpid", count: items.count)
            var ids: [String] = []
            for (offset, item) in items.enumerated() {
                let id = first + Int64(offset)
                func int(_ key: String) -> Int64 { item[key]?.scalarText.flatMap { Int64($0) } ?? 0 }
                try await db.raw(
                    """
                    INSERT INTO usrgrp (usrgrpid, name, gui_access, users_status, debug_mode)
                    VALUES (\(bind: id), \(bind: item["name"]!.stringValue!), \(bind: int("gui_access")), \(bind: int("users_status")), \(bind: int("debug_mode")))
                    """
                ).run()
                let membership = try await Self.setUsers(db, usrgrpid: String(id), userids: Self.userIDs(item) ?? [])
                // Given fields with non-default values in input order, members expanded, then the id.
                var details: [(String, JSON)] = []
                for (key, value) in item.pairs {
                    if key == "users" {
                        details += membership
                        continue
                    }
                    guard Self.writable.contains(key), let text = value.scalarText, key == "name" || text != "0" else { continue }
                    details.append(("usergroup.\(key)", ["add", .string(text)]))
                }
                details.append(("usergroup.usrgrpid", ["add", .string(String(id))]))
                try await AuditLog.write(
                    db,
                    context,
                    [
                        .init(
                            action: .add,
                            resource: .userGroup,
                            resourceid: String(id),
                            resourcename: item["name"]!.stringValue!,
                            details: JSONObject(details)
                        )
                    ]
                )
                ids.append(String(id))
            }
            return ids
        }
        changes.apply(.everything)
        return ["usrgrpids": .array(ids.map { .string($0) })]
    }

    public func update(_ context: CallContext, _ params: JSON) async throws -> JSON {
        let items = try ParamShape.objects(try Self.resolveUserids(params), Self.updateRule)
        try ParamShape.checkUnique(items, fields: ["usrgrpid"])
        try ParamShape.checkUnique(items, fields: ["name"])
        let ids = items.map { $0["usrgrpid"]!.stringValue! }
        try await database.transaction { db in
            try await changes.announce(.everything, in: db)
            let groups = try await GroupRepository.groups(db, ids: ids)
            guard ids.allSatisfy({ groups[$0] != nil }) else { throw APIError.noPermissions }
            for item in items {
                let old = groups[item["usrgrpid"]!.stringValue!]!
                if let name = item["name"]?.stringValue, name != old["name"]?.stringValue {
                    try await Self.checkNameFree(db, name, except: item["usrgrpid"]!.stringValue!)
                }
            }
            try await Self.checkUsers(db, items)
            for item in items {
                let id = item["usrgrpid"]!.stringValue!
                let old = groups[id]!
                var merged = item
                for key in ["gui_access", "users_status"] where merged[key] == nil { merged[key] = old[key] }
                if merged["users"] == nil {
                    let members = try await db.raw("SELECT userid FROM users_groups WHERE usrgrpid = \(bind: Int64(id)!)").all()
                    merged["users"] = .array(try members.map { ["userid": .string(String(try $0.decode(column: "userid", as: Int64.self)))] })
                }
                try Self.checkSelf(context, merged, groupStays: true)
            }
            for item in items {
                let id = item["usrgrpid"]!.stringValue!
                let old = groups[id]!
                var sets: [SQLQueryString] = []
                var edits: [(String, new: String, old: String)] = []
                for key in Self.writable {
                    guard let new = item[key]?.scalarText, new != old[key]?.stringValue else { continue }
                    sets.append(key == "name" ? "name = \(bind: new)" : "\(unsafeRaw: key) = \(bind: Int64(new)!)")
                    edits.append((key, new, old[key]?.stringValue ?? ""))
                }
                if !sets.isEmpty {
                    try await db.raw("UPDATE usrgrp SET " + sets.joined(separator: ", ") + " WHERE usrgrpid = \(bind: Int64(id)!)").run()
                }
                var details = AuditLog.updateDetails("usergroup", edits).pairs
                if let userids = Self.userIDs(item) { details += try await Self.setUsers(db, usrgrpid: id, userids: userids) }
                if !details.isEmpty {
                    try await AuditLog.write(
                        db,
                        context,
                        [
                            .init(
                                action: .update,
                                resource: .userGroup,
                                resourceid: id,
                                resourcename: old["name"]?.stringValue ?? "",
                                details: JSONObject(details)
                            )
                        ]
                    )
                }
            }
            try await Self.checkNobodyGroupless(db)
        }
        changes.apply(.everything)
        return ["usrgrpids": .array(ids.map { .string($0) })]
    }

    static func userIDs(_ item: JSONObject) -> [String]? {
        item["users"]?.arrayValue?.compactMap { $0["userid"]?.stringValue }
    }

    private static func checkNameFree(_ db: any SQLDatabase, _ name: String, except id: String?) async throws {
        if let row = try await db.raw("SELECT usrgrpid FROM usrgrp WHERE name = \(bind: name)").first(),
            String(try row.decode(column: "usrgrpid", as: Int64.self)) != id
        {
            throw APIError.params("User group \"\(name)\" already exists.")
        }
    }

    private static func checkUsers(_ db: any SQLDatabase, _ items: [JSONObject]) async throws {
        for item in items {
            for userid in userIDs(item) ?? [] where !(try await UserRepository.exists(db, userid: userid)) {
                throw APIError.params("User with ID \"\(userid)\" is not available.")
            }
        }
    }

    /// The caller may not put himself into a disabled group or one without frontend access.
    private static func checkSelf(_ context: CallContext, _ item: JSONObject, groupStays: Bool) throws {
        let disabling = item["users_status"]?.scalarText == "1" || item["gui_access"]?.scalarText == "3"
        if disabling, (userIDs(item) ?? []).contains(context.principal.userid) {
            throw APIError.params("User cannot add himself to a disabled group or a group with disabled GUI access.")
        }
    }

    /// Replaces the members of a group; returns the audit details of the memberships removed and added.
    private static func setUsers(_ db: any SQLDatabase, usrgrpid: String, userids: [String]) async throws -> [(String, JSON)] {
        let group = Int64(usrgrpid)!
        var details: [(String, JSON)] = []
        var existing = Set<String>()
        for row in try await db.raw("SELECT id, userid FROM users_groups WHERE usrgrpid = \(bind: group) ORDER BY id").all() {
            let id = try row.decode(column: "id", as: Int64.self)
            let userid = String(try row.decode(column: "userid", as: Int64.self))
            if userids.contains(userid) {
                existing.insert(userid)
            } else {
                try await db.raw("DELETE FROM users_groups WHERE id = \(bind: id)").run()
                details.append(("usergroup.users[\(id)]", ["delete"]))
            }
        }
        let added = userids.filter { !existing.contains($0) }
        var next = try await IDAllocator.reserve(db, table: "users_groups", field: "id", count: added.count)
        for userid in added {
            try await db.raw("INSERT INTO users_groups (id, usrgrpid, userid) VALUES (\(bind: next), \(bind: group), \(bind: Int64(userid)!))").run()
            details += [
                ("usergroup.users[\(next)]", ["add"]), ("usergroup.users[\(next)].userid", ["add", .string(userid)]),
                ("usergroup.users[\(next)].id", ["add", .string(String(next))]),
            ]
            next += 1
        }
        return details
    }

    /// Every user must stay in at least one group.
    private static func checkNobodyGroupless(_ db: any SQLDatabase) async throws {
        if let row = try await db.raw(
            "SELECT username FROM users u WHERE NOT EXISTS (SELECT 1 FROM users_groups ug WHERE ug.userid = u.userid) ORDER BY userid"
        ).first() {
            throw APIError.params("User \"\(try row.decode(column: "username", as: String.self))\" cannot be without user group.")
        }
    }

    // MARK: - delete

    public func delete(_ context: CallContext, _ params: JSON) async throws -> JSON {
        let ids = try ParamShape.idList(params)
        try await database.transaction { db in
            try await changes.announce(.everything, in: db)
            let groups = try await GroupRepository.groups(db, ids: ids)
            guard ids.allSatisfy({ groups[$0] != nil }) else { throw APIError.noPermissions }
            let settings = try await Settings.load(db)
            for id in ids where id == settings.string("alert_usrgrpid") {
                throw APIError.params("User group \"\(groups[id]!["name"]!.stringValue!)\" is used in configuration for database down messages.")
            }
            try await db.raw("DELETE FROM usrgrp WHERE " + .among("usrgrpid", ids.compactMap { Int64($0) })).run()
            try await Self.checkNobodyGroupless(db)
            try await AuditLog.write(
                db,
                context,
                ids.map {
                    .init(action: .delete, resource: .userGroup, resourceid: $0, resourcename: groups[$0]!["name"]!.stringValue!, details: nil)
                }
            )
        }
        changes.apply(.everything)
        return ["usrgrpids": .array(ids.map { .string($0) })]
    }
}
