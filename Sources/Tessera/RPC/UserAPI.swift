/// `user.*` other than logging in and out (users spec §3): Zabbix's parameters turned into
/// `UserFields`, and users turned back into Zabbix's output. The rules are `UserService`'s.
struct UserAPI: Sendable {
    let users: UserService

    func addMethods(to table: inout MethodTable) {
        table.add("user", "get", .authenticated(minType: .user)) { try await get($0.caller, $0.params) }
        table.add("user", "create", .authenticated(minType: .superAdmin)) { try await create($0.caller, $0.params) }
        table.add("user", "update", .authenticated(minType: .user)) { try await update($0.caller, $0.params) }
        table.add("user", "delete", .authenticated(minType: .superAdmin)) { try await delete($0.caller, $0.params) }
        table.add("user", "unblock", .authenticated(minType: .superAdmin)) { try await unblock($0.caller, $0.params) }
    }

    // MARK: - Methods

    func create(_ caller: CallContext, _ params: JSON) async throws -> JSON {
        // An empty request is read as one empty user (so the first message names the missing username).
        let given = ParamShape.items(params)
        let items = try ParamShape.objects(try Self.resolveAlias(given.isEmpty ? [[:]] : given), UserService.createRule)
        return Self.ids(try await users.create(items.map(Self.fields), by: caller))
    }

    func update(_ caller: CallContext, _ params: JSON) async throws -> JSON {
        let items = try ParamShape.objects(try Self.resolveAlias(ParamShape.items(params)), UserService.updateRule)
        let changes = items.map { item in (id: Self.userid(item["userid"]), fields: Self.fields(item)) }
        try await users.update(changes, by: caller)
        return Self.ids(changes.map(\.id))
    }

    func delete(_ caller: CallContext, _ params: JSON) async throws -> JSON {
        let ids = try ParamShape.idList(params).compactMap { UserID($0) }
        try await users.delete(ids, by: caller)
        return Self.ids(ids)
    }

    func unblock(_ caller: CallContext, _ params: JSON) async throws -> JSON {
        let ids = try ParamShape.idList(params).compactMap { UserID($0) }
        try await users.unblock(ids, by: caller)
        return Self.ids(ids)
    }

    /// A legacy `get` (users spec §0.2): unknown options are ignored; `getAccess`, `selectUsrgrps` and
    /// `selectRole` add the group flags, the groups and the role to each user.
    func get(_ caller: CallContext, _ params: JSON) async throws -> JSON {
        let (options, object) = try GetOptions.legacy(
            params,
            table: UserService.table,
            sortable: ["userid", "username", "alias"],
            aliases: ["alias": "username"]
        )
        if options.filter?["passwd"] != nil { throw APIError.params("It is not possible to filter by user password.") }
        if options.search?["passwd"] != nil { throw APIError.params("It is not possible to search by user password.") }
        let selectGroups = object["selectUsrgrps"].flatMap { $0 == .null ? nil : $0 }
        let selectRole = object["selectRole"].flatMap { $0 == .null ? nil : $0 }
        let query = UserService.Query(
            options: options,
            ids: object["userids"].map(SelectOption.ids),
            groupids: object["usrgrpids"].map(SelectOption.ids),
            editable: object["editable"].isTruthy,
            withAccess: object["getAccess"].flatMap { $0 == .null ? nil : $0 } != nil,
            withGroups: selectGroups != nil,
            withRoles: selectRole != nil
        )
        let listing = try await users.listing(query, by: caller)
        switch listing.found {
        case .count(let n): return .string(String(n))
        case .rows(var rows):
            let groupFields = selectGroups.map { SelectOption.fields($0, GroupRepository.table, alwaysKey: true) } ?? []
            let roleFields = selectRole.map { SelectOption.fields($0, RoleRepository.table, alwaysKey: false) } ?? []
            for i in rows.indices {
                let id = rows[i].key
                if query.withAccess {
                    let flags = listing.access[id] ?? .noGroup
                    rows[i].object["gui_access"] = .string(String(flags.guiAccess.rawValue))
                    rows[i].object["debug_mode"] = .string(String(flags.debugMode.rawValue))
                    rows[i].object["users_status"] = .string(String(flags.status.rawValue))
                }
                if query.withGroups {
                    let groups = listing.groups[id] ?? []
                    rows[i].object["usrgrps"] = .array(groups.map { .object(UserGroupAPI.output($0, groupFields)) })
                }
                if query.withRoles {
                    if let role = listing.roles[id] ?? nil, !roleFields.isEmpty {
                        rows[i].object["role"] = .object(RoleAPI.output(role, roleFields))
                    } else {
                        rows[i].object["role"] = []
                    }
                }
            }
            return GetQuery.shape(rows, options)
        }
    }

    // MARK: - Zabbix's JSON and the typed values

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

    /// A validated `user.create` or `user.update` object (its fields in the order given, for the audit record).
    private static func fields(_ item: JSONObject) -> UserFields {
        UserFields(
            username: item["username"]?.stringValue,
            name: item["name"]?.stringValue,
            surname: item["surname"]?.stringValue,
            password: item["passwd"]?.stringValue,
            url: item["url"]?.stringValue,
            autologin: item["autologin"]?.integer.map { $0 != 0 },
            autologout: item["autologout"]?.stringValue,
            lang: item["lang"]?.stringValue,
            refresh: item["refresh"]?.stringValue,
            theme: item["theme"]?.stringValue,
            rowsPerPage: item["rows_per_page"]?.integer,
            timezone: item["timezone"]?.stringValue,
            role: item["roleid"]?.stringValue.flatMap { RoleID($0) },
            groups: item["usrgrps"]?.arrayValue.map { $0.compactMap { $0["usrgrpid"]?.stringValue.flatMap { UserGroupID($0) } } },
            given: item.keys.compactMap { UserField(rawValue: $0) },
            currentPassword: item["current_passwd"]?.stringValue
        )
    }

    private static func userid(_ value: JSON?) -> UserID { value?.stringValue.flatMap { UserID($0) } ?? UserID(0) }

    private static func ids(_ ids: [UserID]) -> JSON { ["userids": .array(ids.map { .string($0.description) })] }
}

extension UserRecord {
    /// The user as `user.get` prints it with `output` userid, username, name, surname and roleid,
    /// `getAccess`, `selectUsrgrps` usrgrpid and name, and `selectRole` name (`tessera user list --json`).
    public var apiObject: JSON {
        [
            "userid": .string(id.description), "username": .string(names.username), "name": .string(names.name),
            "surname": .string(names.surname), "roleid": .string(role?.description ?? "0"),
            "gui_access": .string(String(guiAccess.rawValue)), "debug_mode": .string(String(debugMode.rawValue)),
            "users_status": .string(isDisabled ? "1" : "0"),
            "usrgrps": .array(groups.map { ["usrgrpid": .string($0.id.description), "name": .string($0.name)] }),
            "role": roleName.map { ["name": .string($0)] } ?? [],
        ]
    }
}
