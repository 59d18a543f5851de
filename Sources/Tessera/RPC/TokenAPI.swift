/// `token.*` (token spec §2): Zabbix's parameters turned into `TokenDraft`, `TokenChange` and
/// `TokenQuery`, and tokens turned back into Zabbix's output. The rules are `TokenService`'s.
struct TokenAPI: Sendable {
    let tokens: TokenService

    static let createRule = ObjectRule([
        .required("name", .string(maxLength: TokenService.nameLimit, notEmpty: true)),
        .optional("description", .string(maxLength: TokenService.descriptionLimit)),
        .optional("userid", .id()),
        .optional("status", .int32(allowed: .status)),
        .optional("expires_at", .int32()),
    ])

    static let updateRule = ObjectRule([
        .required("tokenid", .id()),
        .optional("name", .string(maxLength: TokenService.nameLimit, notEmpty: true)),
        .optional("description", .string(maxLength: TokenService.descriptionLimit)),
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
        search: ["name", "description"],
        output: TokenRepository.table.columnNames,
        sortable: ["tokenid", "name", "lastaccess", "status", "expires_at", "created_at"]
    )

    func addMethods(to table: inout MethodTable) {
        let manageTokens = Access.authenticated(minType: .user, action: "manage_api_tokens")
        table.add("token", "create", manageTokens) { try await create($0.caller, $0.params) }
        table.add("token", "update", manageTokens) { try await update($0.caller, $0.params) }
        table.add("token", "delete", manageTokens) { try await delete($0.caller, $0.params) }
        table.add("token", "generate", manageTokens) { try await generate($0.caller, $0.params) }
        table.add("token", "get", manageTokens) { try await get($0.caller, $0.params) }
    }

    // MARK: - Methods

    func create(_ caller: CallContext, _ params: JSON) async throws -> JSON {
        try tokens.authorizeChange(by: caller)
        let items = try ParamShape.objects(params, Self.createRule)
        return Self.ids(try await tokens.create(items.map(Self.draft), by: caller))
    }

    func update(_ caller: CallContext, _ params: JSON) async throws -> JSON {
        try tokens.authorizeChange(by: caller)
        let items = try ParamShape.objects(params, Self.updateRule)
        return Self.ids(try await tokens.update(items.map(Self.change), by: caller))
    }

    func delete(_ caller: CallContext, _ params: JSON) async throws -> JSON {
        try tokens.authorizeChange(by: caller)
        let ids = try Self.idList(params)
        try await tokens.delete(ids, by: caller)
        return Self.ids(ids)
    }

    func generate(_ caller: CallContext, _ params: JSON) async throws -> JSON {
        try tokens.authorizeChange(by: caller)
        let generated = try await tokens.generate(try Self.idList(params), by: caller)
        return .array(generated.map { ["tokenid": .string($0.id.description), "token": .string($0.value)] })
    }

    func get(_ caller: CallContext, _ params: JSON) async throws -> JSON {
        let object = try Validator.object(params, Self.getRule, path: "/")
        var query = TokenQuery(
            ids: object["tokenids"]?.arrayValue.map { Self.typedIDs($0) },
            owners: object["userids"]?.arrayValue.map { Self.typedIDs($0) },
            value: object["token"]?.stringValue,
            validAt: object["valid_at"]?.integer,
            expiredAt: object["expired_at"]?.integer
        )
        query.options = GetOptions(object)
        switch try await tokens.rows(query, by: caller) {
        case .count(let count): return .string(String(count))
        case .rows(let rows): return GetQuery.shape(rows, query.options)
        }
    }

    // MARK: - Zabbix's JSON and the typed values

    /// A validated `token.create` object (its fields in the order given, for the audit record).
    private static func draft(_ item: JSONObject) -> TokenDraft {
        TokenDraft(
            name: item["name"]?.stringValue ?? "",
            description: item["description"]?.stringValue ?? "",
            owner: item["userid"]?.stringValue.flatMap { UserID($0) },
            status: status(item["status"]) ?? .enabled,
            expiry: Expiry(unixTime: item["expires_at"]?.integer ?? 0),
            given: item.keys.compactMap { TokenField(rawValue: $0) }
        )
    }

    /// A validated `token.update` object.
    private static func change(_ item: JSONObject) -> TokenChange {
        TokenChange(
            id: item["tokenid"]?.stringValue.flatMap { TokenID($0) } ?? TokenID(0),
            name: item["name"]?.stringValue,
            description: item["description"]?.stringValue,
            status: status(item["status"]),
            expiry: item["expires_at"]?.integer.map { Expiry(unixTime: $0) },
            given: item.keys.compactMap { TokenField(rawValue: $0) }
        )
    }

    private static func status(_ value: JSON?) -> TokenStatus? { value?.integer.flatMap { TokenStatus(rawValue: $0) } }

    /// A validated id list (`token.delete`, `token.generate`: not empty, unique).
    private static func idList(_ params: JSON) throws(APIError) -> [TokenID] {
        try ParamShape.idList(params).compactMap { TokenID($0) }
    }

    private static func typedIDs<Kind>(_ items: [JSON]) -> [EntityID<Kind>] { items.compactMap { $0.stringValue.flatMap { EntityID($0) } } }

    private static func ids(_ ids: [TokenID]) -> JSON { ["tokenids": .array(ids.map { .string($0.description) })] }

    /// A token as `token.get` prints it: the given columns, every value a string.
    static func output(_ token: Token, _ columns: [String]) -> JSONObject {
        var object = JSONObject(minimumCapacity: columns.count)
        for column in columns {
            let text: String
            switch column {
            case "tokenid": text = token.id.description
            case "name": text = token.name
            case "description": text = token.description
            case "userid": text = token.owner.description
            case "lastaccess": text = String(token.lastAccess)
            case "status": text = String(token.status.rawValue)
            case "expires_at": text = String(token.expiry.unixTime)
            case "created_at": text = String(token.createdAt)
            case "creator_userid": text = token.creator?.description ?? "0"
            default: continue
            }
            object.append(column, .string(text))
        }
        return object
    }
}

extension Token {
    /// The token as `token.get` with `"output": "extend"` prints it.
    public var apiObject: JSON { .object(TokenAPI.output(self, TokenRepository.table.columnNames)) }
}

extension JSON {
    /// A validated integer (a number, or a string of digits) as Int64.
    var integer: Int64? { scalarText.flatMap { Int64($0) } }
}
