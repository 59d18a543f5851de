/// `usergroup.*` (users spec §4): Zabbix's parameters turned into `UserGroupDraft`, `UserGroupChange`
/// and `UserGroupQuery`, and groups turned back into Zabbix's output. The rules are `UserGroupService`'s.
struct UserGroupAPI: Sendable {
    let groups: UserGroupService

    static let guiAccessRule = Rule.int32(allowed: .values(0, 1, 2, 3))

    static let fieldRules: [ObjectRule.Field] = [
        .optional("name", .string(maxLength: UserGroupService.nameLimit, notEmpty: true)),
        .optional("gui_access", guiAccessRule),
        .optional("users_status", .int32(allowed: .status)),
        .optional("debug_mode", .int32(allowed: .status)),
        .optional("users", .objects(ObjectRule([.required("userid", .id())]), uniqueBy: ["userid"])),
        .optional("rights", .any),
        .optional("tag_filters", .any),
    ]

    static let createRule: ObjectRule = {
        var fields = fieldRules
        fields[0] = .required("name", .string(maxLength: UserGroupService.nameLimit, notEmpty: true))
        return ObjectRule(fields)
    }()

    static let updateRule = ObjectRule([.required("usrgrpid", .id())] + fieldRules)

    /// The group flags each member gets in `selectUsers`, in the order they are added.
    static let flagFields = ["gui_access", "debug_mode", "users_status"]

    func addMethods(to table: inout MethodTable) {
        table.add("usergroup", "get", .authenticated(minType: .user)) { try await get($0.caller, $0.params) }
        table.add("usergroup", "create", .authenticated(minType: .superAdmin)) { try await create($0.caller, $0.params) }
        table.add("usergroup", "update", .authenticated(minType: .superAdmin)) { try await update($0.caller, $0.params) }
        table.add("usergroup", "delete", .authenticated(minType: .superAdmin)) { try await delete($0.caller, $0.params) }
    }

    // MARK: - Methods

    /// A legacy `get` (users spec §0.2): unknown parameters are ignored.
    func get(_ caller: CallContext, _ params: JSON) async throws -> JSON {
        let (options, object) = try GetOptions.legacy(params, table: GroupRepository.table, sortable: ["usrgrpid", "name"])
        var query = UserGroupQuery(
            ids: object["usrgrpids"].map(Self.ids),
            ofUsers: object["userids"].map(Self.ids),
            editable: object["editable"].isTruthy
        )
        query.options = options
        if let status = object["status"]?.scalarText.flatMap({ Int($0) }) {
            // A status no group can have finds none.
            if let known = GroupStatus(rawValue: status) { query.status = known } else { query.ids = [] }
        }
        var flagFields: [String] = []
        if let select = object["selectUsers"], select != .null, select != "count" {
            // The group flags of each user come with "extend" or when asked for by name.
            let names = Set((select.listElements ?? []).compactMap(\.stringValue))
            flagFields = Self.flagFields.filter { select == "extend" || names.contains($0) }
            query.members = .init(columns: SelectOption.fields(select, UserRepository.table, alwaysKey: true), flags: !flagFields.isEmpty)
        }
        let rights = object["selectRights"].map { $0 != .null } ?? false
        let tagFilters = object["selectTagFilters"].map { $0 != .null } ?? false
        switch try await groups.find(query, by: caller) {
        case .count(let count): return .string(String(count))
        case .rows(let found):
            let columns = options.outputColumns(GroupRepository.table)
            let rows = found.map { listing in
                var object = Self.output(listing.group, columns)
                if let members = listing.members { object["users"] = .array(members.map { .object(Self.output($0, flagFields)) }) }
                if rights { object["rights"] = [] }
                if tagFilters { object["tag_filters"] = [] }
                return (listing.group.id.description, object)
            }
            return GetQuery.shape(rows, options)
        }
    }

    func create(_ caller: CallContext, _ params: JSON) async throws -> JSON {
        let items = try ParamShape.objects(try Self.resolveUserids(params), Self.createRule)
        return Self.ids(try await groups.create(items.map(Self.draft), by: caller))
    }

    func update(_ caller: CallContext, _ params: JSON) async throws -> JSON {
        let items = try ParamShape.objects(try Self.resolveUserids(params), Self.updateRule)
        return Self.ids(try await groups.update(items.map(Self.change), by: caller))
    }

    func delete(_ caller: CallContext, _ params: JSON) async throws -> JSON {
        let ids = try ParamShape.idList(params).compactMap { UserGroupID($0) }
        try await groups.delete(ids, by: caller)
        return Self.ids(ids)
    }

    // MARK: - Zabbix's JSON and the typed values

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

    /// A validated `usergroup.create` object (its fields in the order given, for the audit record).
    private static func draft(_ item: JSONObject) -> UserGroupDraft {
        UserGroupDraft(
            name: item["name"]?.stringValue ?? "",
            guiAccess: guiAccess(item["gui_access"]) ?? .systemDefault,
            status: status(item["users_status"]) ?? .enabled,
            debugMode: debugMode(item["debug_mode"]) ?? .disabled,
            members: members(item["users"]) ?? [],
            given: item.keys.compactMap { UserGroupField(rawValue: $0) }
        )
    }

    /// A validated `usergroup.update` object.
    private static func change(_ item: JSONObject) -> UserGroupChange {
        UserGroupChange(
            id: item["usrgrpid"]?.stringValue.flatMap { UserGroupID($0) } ?? UserGroupID(0),
            name: item["name"]?.stringValue,
            guiAccess: guiAccess(item["gui_access"]),
            status: status(item["users_status"]),
            debugMode: debugMode(item["debug_mode"]),
            members: members(item["users"])
        )
    }

    private static func guiAccess(_ value: JSON?) -> GUIAccess? { value?.integer.flatMap { GUIAccess(rawValue: Int($0)) } }
    private static func status(_ value: JSON?) -> GroupStatus? { value?.integer.flatMap { GroupStatus(rawValue: Int($0)) } }
    private static func debugMode(_ value: JSON?) -> DebugMode? { value?.integer.flatMap { DebugMode(rawValue: Int($0)) } }

    /// A validated `users` list.
    private static func members(_ value: JSON?) -> [UserID]? {
        value?.arrayValue.map { $0.compactMap { $0["userid"]?.stringValue.flatMap { UserID($0) } } }
    }

    /// The ids of a legacy id parameter: one, a list or an object of them; what is not a number matches nothing.
    private static func ids<Kind>(_ value: JSON) -> [EntityID<Kind>] {
        (value.listElements ?? (value.objectValue?.values ?? [value])).compactMap { $0.scalarText.flatMap { Int64($0) }.map { EntityID($0) } }
    }

    private static func ids(_ ids: [UserGroupID]) -> JSON { ["usrgrpids": .array(ids.map { .string($0.description) })] }

    /// A group as `usergroup.get` prints it: the given columns, every value a string.
    static func output(_ group: UserGroup, _ columns: [String]) -> JSONObject {
        var object = JSONObject(minimumCapacity: columns.count)
        for column in columns {
            let field: UserGroupField
            switch column {
            case "usrgrpid":
                object.append(column, .string(group.id.description))
                continue
            case "name": field = .name
            case "gui_access": field = .guiAccess
            case "users_status": field = .status
            case "debug_mode": field = .debugMode
            default: continue
            }
            object.append(column, .string(group.text(of: field)))
        }
        return object
    }

    /// A member as `selectUsers` prints it: the user's columns, then the group flags asked for.
    private static func output(_ member: UserGroupListing.Member, _ flagFields: [String]) -> JSONObject {
        var object = member.fields
        let flags = member.flags ?? .noGroup
        for field in flagFields {
            switch field {
            case "gui_access": object[field] = .string(String(flags.guiAccess.rawValue))
            case "debug_mode": object[field] = .string(String(flags.debugMode.rawValue))
            default: object[field] = .string(String(flags.status.rawValue))
            }
        }
        return object
    }
}
