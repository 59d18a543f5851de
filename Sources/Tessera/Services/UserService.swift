import SQLKit

/// The `user.*` rules (users spec §3) other than logging in and out.
public struct UserService: Sendable {
    let database: any Database
    /// Told about every change that can alter whether a token authenticates.
    let changes: ChangeFeed

    static let table = UserRepository.table

    static let locales = [
        "en_GB", "en_US", "bg_BG", "ca_ES", "zh_CN", "zh_TW", "cs_CZ", "nl_NL", "fi_FI", "fr_FR", "ka_GE", "de_DE", "el_GR",
        "he_IL", "hu_HU", "id_ID", "it_IT", "ko_KR", "ja_JP", "lv_LV", "lt_LT", "nb_NO", "fa_IR", "pl_PL", "pt_BR", "pt_PT",
        "ro_RO", "ru_RU", "sk_SK", "es_ES", "sv_SE", "tr_TR", "uk_UA", "vi_VN",
    ]
    /// The languages Tessera's UI has catalogs for; other known codes are refused as not supported.
    static let supportedLocales: Set<String> = ["default", "en_US", "en_GB", "nl_NL"]
    static let themes = ["default", "blue-theme", "dark-theme", "hc-light", "hc-dark"]

    static let fieldRules: [ObjectRule.Field] = [
        .optional("username", .string(maxLength: 100, notEmpty: true)),
        .optional("name", .string(maxLength: 100)),
        .optional("surname", .string(maxLength: 100)),
        .optional("passwd", .string(maxLength: 255, notEmpty: true)),
        .optional("url", .url(maxLength: 2048)),
        .optional("autologin", .int32(allowed: .status)),
        .optional("autologout", .timeUnit(allowed: IntSet([0...0, 90...86400]))),
        .optional("lang", .string(oneOf: ["default"] + locales)),
        .optional("refresh", .timeUnit(allowed: .range(0...3600))),
        .optional("theme", .string(oneOf: themes)),
        .optional("rows_per_page", .int32(allowed: .range(1...999999))),
        .optional("timezone", .timezone),
        .optional("roleid", .id()),
        .optional("usrgrps", .objects(ObjectRule([.required("usrgrpid", .id())]), notEmpty: true, uniqueBy: ["usrgrpid"])),
        .optional("medias", .any),
        .optional("user_medias", .any),
    ]

    static var createRule: ObjectRule {
        var fields = fieldRules
        fields[0] = .required("username", .string(maxLength: 100, notEmpty: true))
        fields[12] = .required("roleid", .id())
        fields[13] = .required("usrgrps", .objects(ObjectRule([.required("usrgrpid", .id())]), notEmpty: true, uniqueBy: ["usrgrpid"]))
        return ObjectRule(fields)
    }

    static var updateRule: ObjectRule { ObjectRule([.required("userid", .id())] + fieldRules) }

    /// Columns written from parameters, with their kind.
    static let writable: [(String, ColumnKind)] = [
        ("username", .text), ("name", .text), ("surname", .text), ("url", .text), ("autologin", .int), ("autologout", .text),
        ("lang", .text), ("refresh", .text), ("theme", .text), ("rows_per_page", .int), ("timezone", .text), ("roleid", .id),
    ]

    /// `alias` is the deprecated name of `username`.
    private static func resolveAlias(_ items: [JSON]) throws(APIError) -> JSON {
        var result: [JSON] = []
        for item in items {
            guard case .object(var object) = item, let alias = object["alias"] else {
                result.append(item)
                continue
            }
            if object["username"] != nil { throw APIError.params("Parameter \"alias\" is deprecated.") }
            object["alias"] = nil
            object["username"] = alias
            result.append(.object(object))
        }
        return .array(result)
    }

    /// Auto-login and auto-logout exclude each other; giving one switches the other off.
    private static func applyLoginOptions(_ item: inout JSONObject) throws(APIError) {
        let autologin = item["autologin"]?.scalarText.flatMap { Int($0) }
        let autologout = item["autologout"]?.stringValue.flatMap { TimeUnit.seconds($0) }
        switch (autologin, autologout) {
        case (let login?, let logout?) where login != 0 && logout != 0:
            throw APIError.params("Auto-login and auto-logout options cannot be enabled together.")
        case (let login?, nil) where login != 0: item["autologout"] = "0"
        case (nil, let logout?) where logout != 0: item["autologin"] = 0
        default: break
        }
    }

    // MARK: - get

    public func get(_ context: CallContext, _ params: JSON) async throws -> JSON {
        let (options, object) = try GetOptions.legacy(
            params,
            table: Self.table,
            sortable: ["userid", "username", "alias"],
            aliases: ["alias": "username"]
        )
        if options.filter?["passwd"] != nil { throw APIError.params("It is not possible to filter by user password.") }
        if options.search?["passwd"] != nil { throw APIError.params("It is not possible to search by user password.") }
        var conditions = Conditions()
        if let visible = UserRepository.visibility(for: context.principal, editable: object["editable"].isTruthy) { conditions.add(visible) }
        if let ids = object["userids"].map(Self.idValues) { conditions.add(.among("userid", ids)) }
        if let ids = object["usrgrpids"].map(Self.idValues) {
            conditions.add("userid IN (SELECT userid FROM users_groups WHERE " + .among("usrgrpid", ids) + ")")
        }
        let where_ = conditions
        return try await database.read { db in
            switch try await GetQuery.rows(db, Self.table, options, where_) {
            case .count(let n): return .string(String(n))
            case .rows(var rows):
                let ids = rows.map(\.key)
                if object["getAccess"] != nil, object["getAccess"] != .null {
                    let flags = try await Self.groupFlags(db, userids: ids)
                    for i in rows.indices {
                        let f = flags[rows[i].key] ?? (0, 0, 0)
                        rows[i].object["gui_access"] = .string(String(f.gui))
                        rows[i].object["debug_mode"] = .string(String(f.debug))
                        rows[i].object["users_status"] = .string(String(f.status))
                    }
                }
                if let select = object["selectUsrgrps"], select != .null {
                    let memberships = try await GroupRepository.memberships(db, userids: ids)
                    let groups = try await GroupRepository.groups(db, ids: Array(Set(memberships.values.joined())))
                    let fields = Self.selectedFields(select, GroupRepository.table, alwaysKey: true)
                    for i in rows.indices {
                        let list = (memberships[rows[i].key] ?? []).sorted { Int64($0)! < Int64($1)! }.compactMap { groups[$0] }
                        rows[i].object["usrgrps"] = .array(list.map { group in .object(JSONObject(fields.map { ($0, group[$0]!) })) })
                    }
                }
                if let select = object["selectRole"], select != .null {
                    let roles = try await RoleService.roleRows(db)
                    let fields = Self.selectedFields(select, RoleService.table, alwaysKey: false)
                    for i in rows.indices {
                        let roleid = try await Self.roleid(db, userid: rows[i].key)
                        if let role = roles[roleid], !fields.isEmpty {
                            rows[i].object["role"] = .object(JSONObject(fields.map { ($0, role[$0]!) }))
                        } else {
                            rows[i].object["role"] = []
                        }
                    }
                }
                return GetQuery.shape(rows, options)
            }
        }
    }

    static func idValues(_ value: JSON) -> [any Encodable & Sendable] {
        (value.listElements ?? (value.objectValue?.values ?? [value])).compactMap { $0.scalarText.flatMap { Int64($0) } }
    }

    /// Fields of a `select*` option: `"extend"` → all, a list → those known (plus the key when `alwaysKey`).
    static func selectedFields(_ select: JSON, _ table: Table, alwaysKey: Bool) -> [String] {
        guard let items = select.listElements ?? select.objectValue?.values else {
            return select == "extend" ? table.columnNames : (alwaysKey ? [table.primaryKey] : [])
        }
        let names = Set(items.compactMap(\.stringValue))
        return table.columnNames.filter { names.contains($0) || (alwaysKey && $0 == table.primaryKey) }
    }

    private static func roleid(_ db: any SQLDatabase, userid: String) async throws -> String {
        String(
            try await db.raw("SELECT roleid FROM users WHERE userid = \(bind: Int64(userid)!)").first()?.decode(column: "roleid", as: Int64.self) ?? 0
        )
    }

    static func groupFlags(_ db: any SQLDatabase, userids: [String]) async throws -> [String: (gui: Int, debug: Int, status: Int)] {
        let rows = try await db.raw(
            """
            SELECT ug.userid, MAX(g.gui_access) AS gui, MAX(g.debug_mode) AS debug, MAX(g.users_status) AS status
            FROM users_groups ug JOIN usrgrp g ON g.usrgrpid = ug.usrgrpid WHERE
            """ + " " + .among("ug.userid", userids.compactMap { Int64($0) }) + " GROUP BY ug.userid"
        ).all()
        var result: [String: (Int, Int, Int)] = [:]
        for row in rows {
            result[String(try row.decode(column: "userid", as: Int64.self))] =
                (
                    try row.decode(column: "gui", as: Int.self), try row.decode(column: "debug", as: Int.self),
                    try row.decode(column: "status", as: Int.self)
                )
        }
        return result
    }

    // MARK: - create

    public func create(_ context: CallContext, _ params: JSON) async throws -> JSON {
        // An empty request is read as one empty user (so the first message names the missing username).
        let given = ParamShape.items(params)
        var items = try ParamShape.objects(try Self.resolveAlias(given.isEmpty ? [[:]] : given), Self.createRule)
        try ParamShape.checkUnique(items, fields: ["username"])
        let settings = try await database.read { db in try await Settings.load(db) }
        let policy = PasswordPolicy(settings)
        for index in items.indices {
            try Self.applyLoginOptions(&items[index])
            if let password = items[index]["passwd"]?.stringValue,
                let reason = policy.violation(
                    password,
                    username: items[index]["username"]?.stringValue ?? "",
                    name: items[index]["name"]?.stringValue ?? "",
                    surname: items[index]["surname"]?.stringValue ?? ""
                )
            {
                throw APIError.params("Incorrect value for field \"/\(index + 1)/passwd\": \(reason).")
            }
        }
        var hashes: [String?] = []
        for item in items { hashes.append(try await item["passwd"]?.stringValue.asyncMap(Passwords.hash)) }
        let users = items
        let passwordHashes = hashes
        let ids = try await database.transaction { db -> [String] in
            for item in users {
                let username = item["username"]!.stringValue!
                if try await db.raw("SELECT 1 AS x FROM users WHERE username = \(bind: username)").first() != nil {
                    throw APIError.params("User with username \"\(username)\" already exists.")
                }
            }
            try await Self.checkReferences(db, users)
            for item in users where item["passwd"] == nil {
                let groups = try await GroupRepository.groups(db, ids: Self.groupIDs(item))
                if groups.values.contains(where: { ($0["gui_access"]?.stringValue ?? "0") != "2" && ($0["gui_access"]?.stringValue ?? "0") != "3" }) {
                    throw APIError.params("Incorrect value for field \"passwd\": cannot be empty.")
                }
            }
            let first = try await IDAllocator.reserve(db, table: "users", field: "userid", count: users.count)
            var ids: [String] = []
            for (offset, item) in users.enumerated() {
                let userid = first + Int64(offset)
                var columns: [String] = ["userid", "passwd"]
                var values: [SQLQueryString] = ["\(bind: userid)", "\(bind: passwordHashes[offset] ?? "")"]
                for (column, kind) in Self.writable {
                    guard let value = item[column]?.scalarText else { continue }
                    columns.append(column)
                    values.append(kind == .text ? "\(bind: value)" : "\(bind: Int64(value)!)")
                }
                try await db.raw(
                    "INSERT INTO users (\(unsafeRaw: columns.joined(separator: ", "))) VALUES (" + values.joined(separator: ", ") + ")"
                ).run()
                let membership = try await GroupRepository.setMemberships(db, userid: String(userid), groups: Self.groupIDs(item))
                var details: [(String, JSON)] = []
                for (key, value) in item.pairs where key != "medias" && key != "user_medias" {
                    if key == "usrgrps" {
                        details += membership
                        continue
                    }
                    details.append(("user.\(key)", ["add", .string(key == "passwd" ? "******" : value.scalarText ?? "")]))
                }
                details.append(("user.userid", ["add", .string(String(userid))]))
                try await AuditLog.write(
                    db,
                    context,
                    [
                        .init(
                            action: .add,
                            resource: .user,
                            resourceid: String(userid),
                            resourcename: item["username"]!.stringValue!,
                            details: JSONObject(details)
                        )
                    ]
                )
                ids.append(String(userid))
            }
            return ids
        }
        return ["userids": .array(ids.map { .string($0) })]
    }

    static func groupIDs(_ item: JSONObject) -> [String] {
        item["usrgrps"]?.arrayValue?.compactMap { $0["usrgrpid"]?.stringValue } ?? []
    }

    /// Language, role and group references of created or updated users must exist.
    private static func checkReferences(_ db: any SQLDatabase, _ items: [JSONObject]) async throws {
        for item in items {
            if let lang = item["lang"]?.stringValue, !supportedLocales.contains(lang) {
                throw APIError.params("Language \"\(lang)\" is not supported.")
            }
        }
        for item in items {
            if let roleid = item["roleid"]?.stringValue,
                try await db.raw("SELECT 1 AS x FROM role WHERE roleid = \(bind: Int64(roleid)!)").first() == nil
            {
                throw APIError.params("User role with ID \"\(roleid)\" is not available.")
            }
        }
        for item in items {
            let ids = groupIDs(item)
            let found = try await GroupRepository.groups(db, ids: ids)
            if let missing = ids.first(where: { found[$0] == nil }) {
                throw APIError.params("User group with ID \"\(missing)\" is not available.")
            }
        }
    }

    // MARK: - update

    public func update(_ context: CallContext, _ params: JSON) async throws -> JSON {
        var items = try ParamShape.objects(try Self.resolveAlias(ParamShape.items(params)), Self.updateRule)
        try ParamShape.checkUnique(items, fields: ["userid"])
        try ParamShape.checkUnique(items, fields: ["username"])
        let caller = context.principal
        let ids = items.map { $0["userid"]!.stringValue! }
        let (accounts, settings) = try await database.read { db -> ([String: UserAccount], Settings) in
            var accounts: [String: UserAccount] = [:]
            for id in ids {
                if let account = try await UserRepository.account(db, userid: id) { accounts[id] = account }
            }
            return (accounts, try await Settings.load(db))
        }
        guard ids.allSatisfy({ accounts[$0] != nil && (caller.isSuperAdmin || $0 == caller.userid) }) else {
            throw APIError.noPermissions
        }
        let policy = PasswordPolicy(settings)
        for index in items.indices {
            let account = accounts[ids[index]]!
            if account.username == "guest", let name = items[index]["username"]?.stringValue, name != "guest" {
                throw APIError.params("Cannot rename guest user.")
            }
            try Self.applyLoginOptions(&items[index])
            if let password = items[index]["passwd"]?.stringValue {
                func current(_ key: String) -> String { items[index][key]?.stringValue ?? account.string(key) }
                if let reason = policy.violation(password, username: current("username"), name: current("name"), surname: current("surname")) {
                    throw APIError.params("Incorrect value for field \"/\(index + 1)/passwd\": \(reason).")
                }
            }
            if account.username == "guest" {
                if items[index]["passwd"] != nil { throw APIError.params("Not allowed to set password for user \"guest\".") }
                if items[index]["lang"] != nil { throw APIError.params("Not allowed to set language for user \"guest\".") }
                if items[index]["theme"] != nil { throw APIError.params("Not allowed to set theme for user \"guest\".") }
            }
        }
        var hashes: [String?] = []
        for item in items { hashes.append(try await item["passwd"]?.stringValue.asyncMap(Passwords.hash)) }
        let users = items
        let passwordHashes = hashes
        try await database.transaction { db in
            try await changes.announce(.everything, in: db)
            let leaving = users.filter { item in
                guard let roleid = item["roleid"]?.stringValue else { return false }
                return roleid != accounts[item["userid"]!.stringValue!]!.roleid
            }.map { $0["userid"]!.stringValue! }
            if !leaving.isEmpty {
                let readonly = try await RoleService.readonlyRole(db)
                if let readonly, leaving.contains(where: { accounts[$0]!.roleid == readonly.id }),
                    try await GroupRepository.activeSuperAdmins(db, excluding: leaving) == 0
                {
                    throw APIError.params("At least one active user must exist with role \"\(readonly.name)\".")
                }
            }
            for item in users {
                guard let username = item["username"]?.stringValue, username != accounts[item["userid"]!.stringValue!]!.username else { continue }
                if try await db.raw("SELECT 1 AS x FROM users WHERE username = \(bind: username)").first() != nil {
                    throw APIError.params("User with username \"\(username)\" already exists.")
                }
            }
            try await Self.checkReferences(db, users)
            for item in users where item["userid"]!.stringValue! == caller.userid {
                if let roleid = item["roleid"]?.stringValue, roleid != accounts[caller.userid]!.roleid {
                    throw APIError.params("User cannot change own role.")
                }
                let groups = try await GroupRepository.groups(db, ids: Self.groupIDs(item))
                if groups.values.contains(where: { $0["users_status"] == "1" || $0["gui_access"] == "3" }) {
                    throw APIError.params("User cannot add himself to a disabled group or a group with disabled GUI access.")
                }
            }
            for (offset, item) in users.enumerated() {
                let userid = item["userid"]!.stringValue!
                let account = accounts[userid]!
                var sets: [SQLQueryString] = []
                var details: [(String, JSON)] = []
                for (key, value) in item.pairs {
                    if key == "passwd" {
                        sets.append("passwd = \(bind: passwordHashes[offset]!)")
                        details.append(("user.passwd", ["update", "******", "******"]))
                        continue
                    }
                    guard let kind = Self.writable.first(where: { $0.0 == key })?.1, let new = value.scalarText else { continue }
                    let old = account.string(key)
                    guard new != old else { continue }
                    sets.append(kind == .text ? "\(unsafeRaw: key) = \(bind: new)" : "\(unsafeRaw: key) = \(bind: Int64(new)!)")
                    details.append(("user.\(key)", ["update", .string(new), .string(old)]))
                }
                if !sets.isEmpty {
                    try await db.raw("UPDATE users SET " + sets.joined(separator: ", ") + " WHERE userid = \(bind: Int64(userid)!)").run()
                }
                if item["usrgrps"] != nil {
                    details += try await GroupRepository.setMemberships(db, userid: userid, groups: Self.groupIDs(item))
                }
                if !details.isEmpty {
                    try await AuditLog.write(
                        db,
                        context,
                        [
                            .init(action: .update, resource: .user, resourceid: userid, resourcename: account.username, details: JSONObject(details))
                        ]
                    )
                }
            }
            let groupless = try await db.raw(
                "SELECT username FROM users u WHERE " + .among("u.userid", ids.compactMap { Int64($0) })
                    + " AND NOT EXISTS (SELECT 1 FROM users_groups ug WHERE ug.userid = u.userid) ORDER BY userid"
            ).first()
            if let groupless {
                throw APIError.params("User \"\(try groupless.decode(column: "username", as: String.self))\" cannot be without user group.")
            }
        }
        changes.apply(.everything)
        return ["userids": .array(ids.map { .string($0) })]
    }

    // MARK: - delete / unblock

    public func delete(_ context: CallContext, _ params: JSON) async throws -> JSON {
        let ids = try ParamShape.idList(params)
        try await database.transaction { db in
            try await changes.announce(.everything, in: db)
            var accounts: [UserAccount] = []
            for id in ids {
                guard let account = try await UserRepository.account(db, userid: id) else { throw APIError.noPermissions }
                if id == context.principal.userid { throw APIError.params("User is not allowed to delete himself.") }
                if account.username == "guest" {
                    throw APIError.params("Cannot delete Zabbix internal user \"guest\", try disabling that user.")
                }
                accounts.append(account)
            }
            if let readonly = try await RoleService.readonlyRole(db), accounts.contains(where: { $0.roleid == readonly.id }),
                try await GroupRepository.activeSuperAdmins(db, excluding: ids) == 0
            {
                throw APIError.params("At least one active user must exist with role \"\(readonly.name)\".")
            }
            let idValues = ids.compactMap { Int64($0) }
            let userids = idValues.map { UserID($0) }
            try await TokenRepository.clearCreator(db, userids)
            try await TokenService.delete(db, try await TokenRepository.owned(db, by: userids), by: context)
            try await db.raw("DELETE FROM users WHERE " + .among("userid", idValues)).run()
            try await AuditLog.write(
                db,
                context,
                accounts.map {
                    .init(action: .delete, resource: .user, resourceid: $0.userid, resourcename: $0.username, details: nil)
                }
            )
        }
        changes.apply(.everything)
        return ["userids": .array(ids.map { .string($0) })]
    }

    public func unblock(_ context: CallContext, _ params: JSON) async throws -> JSON {
        let ids = try ParamShape.idList(params)
        try await database.transaction { db in
            let found =
                try await db.raw("SELECT COUNT(*) AS n FROM users WHERE " + .among("userid", ids.compactMap { Int64($0) })).first()?
                .decode(column: "n", as: Int.self) ?? 0
            guard found == ids.count else { throw APIError.noPermissions }
            try await db.raw("UPDATE users SET attempt_failed = 0 WHERE " + .among("userid", ids.compactMap { Int64($0) })).run()
        }
        return ["userids": .array(ids.map { .string($0) })]
    }
}

extension Optional where Wrapped == JSON {
    /// PHP truthiness of an optional parameter: present and not null, false, 0, "0" or "".
    var isTruthy: Bool {
        switch self {
        case nil, .null?, .bool(false)?, .string("")?, .string("0")?, .number("0")?: return false
        default: return true
        }
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
