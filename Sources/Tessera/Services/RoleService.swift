import SQLKit

/// The rules of user roles (users spec §5), for the API and the web UI alike: unique names, rules that
/// the role's type offers, the readonly Super admin role left as it is, a caller's own role keeping its
/// type, roles in use kept, and telling every instance about each change.
public struct RoleService: Sendable {
    let database: any Database
    /// Told about every change that can alter whether a token authenticates.
    let changes: ChangeFeed

    /// The longest name, in characters (Unicode scalars, as Zabbix counts them).
    static let nameLimit = 255

    // MARK: - Read

    /// The roles a query finds, with the rules and users it asks for.
    public func roles(_ query: RoleQuery, by caller: CallContext) async throws -> [RoleListing] {
        guard case .rows(let roles) = try await find(query, by: caller) else { return [] }
        return roles
    }

    /// The roles a query finds, or their number when its options ask for a count.
    func find(_ query: RoleQuery, by caller: CallContext) async throws -> GetQuery.Listed<RoleListing> {
        let options = query.listOptions
        if query.editable, !caller.principal.isSuperAdmin { return options.countOutput ? .count(0) : .rows([]) }
        return try await database.read { db in
            switch try await RoleRepository.find(db, options, query.conditions) {
            case .count(let count): return .count(count)
            case .rows(let roles):
                var listings: [RoleListing] = []
                // A role's users are everyone's to a Super admin; anyone else sees at most themself (as
                // later Zabbix versions: 6.0.14 listed every user of the role, with every field).
                let only = caller.principal.isSuperAdmin ? nil : caller.principal.id
                for role in roles {
                    let rules = query.withRules ? RuleSet(rows: try await RoleRepository.storedRules(db, role.id).map(\.row)) : nil
                    let users: RoleListing.Users?
                    switch query.users {
                    case .count?: users = .count(try await RoleRepository.userCount(db, role.id, only: only))
                    case .rows(let columns)?: users = .rows(try await RoleRepository.users(db, role.id, columns: columns, only: only))
                    case nil: users = nil
                    }
                    listings.append(RoleListing(role: role, rules: rules, users: users))
                }
                return .rows(listings)
            }
        }
    }

    // MARK: - Create

    /// Creates roles; returns their ids in order.
    public func create(_ drafts: [RoleDraft], by caller: CallContext) async throws -> [RoleID] {
        try caller.principal.permissions.requireSuperAdmin(for: "role.create")
        if drafts.isEmpty { throw APIError.invalid("/", "cannot be empty") }
        for (index, draft) in drafts.enumerated() { try Self.check(draft.name, draft.rules, item: index + 1) }
        try Self.checkUnique(drafts.map(\.name), field: "name")
        return try await database.transaction { db in
            for draft in drafts { try await Self.checkNameFree(db, draft.name, except: nil) }
            var ruleSets: [RuleSet] = []
            for draft in drafts {
                var rules = RuleSet()
                if let given = draft.rules {
                    rules.merge(given)
                    try Self.checkRules(given, rules, roleName: draft.name, type: draft.type)
                }
                ruleSets.append(rules)
            }
            let first = try await IDAllocator.reserve(db, table: "role", field: "roleid", count: drafts.count)
            var ids: [RoleID] = []
            for (offset, draft) in drafts.enumerated() {
                let role = Role(id: RoleID(first + Int64(offset)), name: draft.name, type: draft.type)
                try await RoleRepository.insert(db, role)
                try await RoleRepository.storeRules(db, role.id, ruleSets[offset].rows())
                ids.append(role.id)
            }
            try await AuditLog.write(
                db,
                caller,
                zip(ids, drafts).map {
                    .init(action: .add, resource: .userRole, resourceid: $0.description, resourcename: $1.name, details: nil)
                }
            )
            return ids
        }
    }

    // MARK: - Update

    /// Changes roles; returns their ids. Changed rules apply to every user of the role at once.
    @discardableResult
    public func update(_ edits: [RoleChange], by caller: CallContext) async throws -> [RoleID] {
        try caller.principal.permissions.requireSuperAdmin(for: "role.update")
        if edits.isEmpty { throw APIError.invalid("/", "cannot be empty") }
        for (index, edit) in edits.enumerated() { try Self.check(edit.name, edit.rules, item: index + 1) }
        let ids = edits.map(\.id)
        try Self.checkUnique(ids.map(\.description), field: "roleid")
        try Self.checkUnique(edits.map(\.name), field: "name")
        try await database.transaction { db in
            try await changes.announce(.everything, in: db)
            let roles = try await RoleRepository.all(db)
            guard ids.allSatisfy({ roles[$0] != nil }) else { throw APIError.noPermissions }
            var records: [AuditLog.Record] = []
            for edit in edits {
                guard let role = roles[edit.id] else { throw APIError.noPermissions }
                if role.readonly { throw APIError.application("Cannot update readonly user role \"\(role.name)\".") }
                let name = edit.name.flatMap { $0 == role.name ? nil : $0 }
                if let name { try await Self.checkNameFree(db, name, except: role.id) }
                let type = edit.type ?? role.type
                if role.id == caller.principal.roleid, type != role.type {
                    throw APIError.application("Cannot change the user type of own role.")
                }
                if let given = edit.rules {
                    let stored = try await RoleRepository.storedRules(db, role.id)
                    var rules = RuleSet(rows: stored.map(\.row))
                    rules.merge(given, existingType: role.type)
                    try Self.checkRules(given, rules, roleName: role.name, type: type)
                    try await RoleRepository.storeRules(db, role.id, rules.rows(), existing: stored)
                }
                try await RoleRepository.update(db, role.id, name: name, type: type == role.type ? nil : type)
                if let record = Self.auditRecord(role, name: name, type: type) { records.append(record) }
            }
            try await AuditLog.write(db, caller, records)
        }
        changes.apply(.everything)
        return ids
    }

    /// What Zabbix records of a role's update: its name and type when they change (the new type as a
    /// number, the old as text, the role under its old name); nothing for rules alone.
    private static func auditRecord(_ role: Role, name: String?, type: UserType) -> AuditLog.Record? {
        var details: [(String, JSON)] = []
        if let name { details.append(("role.name", ["update", .string(name), .string(role.name)])) }
        if type != role.type { details.append(("role.type", ["update", .int(Int64(type.rawValue)), .string(String(role.type.rawValue))])) }
        guard !details.isEmpty else { return nil }
        return .init(action: .update, resource: .userRole, resourceid: role.id.description, resourcename: role.name, details: JSONObject(details))
    }

    // MARK: - Delete

    /// Deletes roles that no user has; every instance forgets their rules.
    public func delete(_ ids: [RoleID], by caller: CallContext) async throws {
        try caller.principal.permissions.requireSuperAdmin(for: "role.delete")
        try RoleID.checkList(ids)
        try await database.transaction { db in
            try await changes.announce(.everything, in: db)
            let roles = try await RoleRepository.all(db)
            var deleted: [Role] = []
            for id in ids {
                guard let role = roles[id] else { throw APIError.noPermissions }
                deleted.append(role)
            }
            for role in deleted {
                if role.readonly { throw APIError.application("Cannot delete readonly user role \"\(role.name)\".") }
                if try await RoleRepository.hasUsers(db, role.id) {
                    throw APIError.application("Cannot delete assigned user role \"\(role.name)\".")
                }
            }
            try await RoleRepository.delete(db, ids: ids)
            try await AuditLog.write(
                db,
                caller,
                deleted.map { .init(action: .delete, resource: .userRole, resourceid: $0.id.description, resourcename: $0.name, details: nil) }
            )
        }
        changes.apply(.everything)
    }

    // MARK: - Rules

    private static func checkNameFree(_ db: any SQLDatabase, _ name: String, except id: RoleID?) async throws {
        if let existing = try await RoleRepository.id(db, named: name), existing != id {
            throw APIError.params("User role \"\(name)\" already exists.")
        }
    }

    /// The rules given against what the role's type offers, in Zabbix's order: UI elements (at least
    /// one left enabled), API methods, actions.
    private static func checkRules(_ given: RoleRulesChange, _ rules: RuleSet, roleName: String, type: UserType) throws(APIError) {
        if let entries = given.ui {
            let available = RoleCatalog.uiElements(type: type.rawValue)
            for entry in entries where !available.contains(entry.name) {
                throw .params("UI element \"\(entry.name)\" is not available for user role \"\(roleName)\".")
            }
            if !rules.uiStatuses(type: type).contains(where: \.allowed) {
                throw .params("At least one UI element must be enabled for user role \"\(roleName)\".")
            }
        }
        for method in given.api ?? [] where !RoleCatalog.isValidAPIPattern(method) {
            throw .params("Invalid API method \"\(method)\" for user role \"\(roleName)\".")
        }
        let actions = RoleCatalog.actions(type: type.rawValue)
        for entry in given.actions ?? [] where !actions.contains(entry.name) {
            throw .params("Action \"\(entry.name)\" is not available for user role \"\(roleName)\".")
        }
    }

    /// The name of the `item`th role of a call (the API's rule tree checks the same first, with the same
    /// messages): not empty, not too long, without NUL characters (PostgreSQL cannot store them).
    static func checkName(_ name: String, item: Int) throws(APIError) {
        try checkText(name, "/\(item)/name", limit: nameLimit)
    }

    /// The fields of the `item`th role of a call, in the order of the API's rule tree: the name, then
    /// the names of UI elements, modules, API methods and actions (each given, and each once).
    private static func check(_ name: String?, _ rules: RoleRulesChange?, item: Int) throws(APIError) {
        if let name { try checkName(name, item: item) }
        guard let rules else { return }
        let path = "/\(item)/rules"
        try checkEntries(rules.ui, "\(path)/ui")
        if let modules = rules.modules { try checkUnique(modules.map(\.moduleid), field: "moduleid", path: "\(path)/modules") }
        if let methods = rules.api {
            for (index, method) in methods.enumerated() { try checkText(method, "\(path)/api/\(index + 1)") }
            var seen = Set<String>()
            for (index, method) in methods.enumerated() where !seen.insert(method).inserted {
                throw .invalid("\(path)/api/\(index + 1)", "value (\(method)) already exists")
            }
        }
        try checkEntries(rules.actions, "\(path)/actions")
    }

    private static func checkEntries(_ entries: [RuleEntry]?, _ path: String) throws(APIError) {
        guard let entries else { return }
        for (index, entry) in entries.enumerated() { try checkText(entry.name, "\(path)/\(index + 1)/name") }
        try checkUnique(entries.map(\.name), field: "name", path: path)
    }

    private static func checkText(_ text: String, _ path: String, limit: Int? = nil) throws(APIError) {
        if text.containsNUL { throw .invalid(path, "the NUL character is not allowed") }
        if text.isEmpty { throw .invalid(path, "cannot be empty") }
        if let limit, text.unicodeScalars.count > limit { throw .invalid(path, "value is too long") }
    }

    /// The first value given twice (nil: not given) at its position: `Invalid parameter "/2": value (name)=(a) already exists.`
    private static func checkUnique(_ values: [String?], field: String, path: String = "/") throws(APIError) {
        var seen = Set<String>()
        for (index, value) in values.enumerated() {
            guard let value else { continue }
            if !seen.insert(value).inserted {
                throw .invalid(Validator.path(path, String(index + 1)), "value (\(field))=(\(value)) already exists")
            }
        }
    }
}
