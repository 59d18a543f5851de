import SQLKit

/// The rules of user groups (users spec §4), for the API and the web UI alike: unique names, members
/// that exist, no caller locking themself out, nobody left without a group, the group that receives
/// the "database down" messages never deleted, audit records, and telling every instance about each change.
public struct UserGroupService: Sendable {
    let database: any Database
    /// Told about every change that can alter whether a token authenticates.
    let changes: ChangeFeed

    /// The longest name, in characters (Unicode scalars, as Zabbix counts them).
    static let nameLimit = 64

    // MARK: - Read

    /// The groups a query finds among those the caller may see, with the members it asks for.
    public func groups(_ query: UserGroupQuery, by caller: CallContext) async throws -> [UserGroupListing] {
        guard case .rows(let groups) = try await find(query, by: caller) else { return [] }
        return groups
    }

    /// The groups a query finds, or their number when its options ask for a count.
    func find(_ query: UserGroupQuery, by caller: CallContext) async throws -> GetQuery.Listed<UserGroupListing> {
        let options = query.listOptions
        let principal = caller.principal
        if query.editable, !principal.isSuperAdmin { return options.countOutput ? .count(0) : .rows([]) }
        let conditions = GroupRepository.conditions(query, limitedTo: principal.isSuperAdmin ? nil : principal.id)
        return try await database.read { db in
            switch try await GroupRepository.find(db, options, conditions) {
            case .count(let count): return .count(count)
            case .rows(let groups):
                var listings: [UserGroupListing] = []
                for group in groups {
                    guard let wanted = query.members else {
                        listings.append(UserGroupListing(group: group, members: nil))
                        continue
                    }
                    let members = try await GroupRepository.members(db, of: group.id, columns: wanted.columns)
                    let flags = wanted.flags ? try await GroupRepository.flags(db, of: members.map(\.id)) : [:]
                    listings.append(
                        UserGroupListing(
                            group: group,
                            members: members.map { .init(id: $0.id, fields: $0.fields, flags: wanted.flags ? flags[$0.id] ?? .noGroup : nil) }
                        )
                    )
                }
                return .rows(listings)
            }
        }
    }

    /// The users a group's form offers as members: those the caller may see, by username.
    public func memberCandidates(by caller: CallContext) async throws -> [(id: UserID, names: UserNames)] {
        try await database.read { db in try await UserRepository.everyone(db, for: caller.principal) }
    }

    // MARK: - Create

    /// Creates groups with their members; returns their ids in order.
    public func create(_ drafts: [UserGroupDraft], by caller: CallContext) async throws -> [UserGroupID] {
        try caller.principal.permissions.requireSuperAdmin(for: "usergroup.create")
        if drafts.isEmpty { throw APIError.invalid("/", "cannot be empty") }
        for (index, draft) in drafts.enumerated() { try Self.check(draft.name, draft.members, item: index + 1) }
        try Self.checkUnique(drafts.map(\.name), field: "name")
        let ids = try await database.transaction { db in
            try await changes.announce(.everything, in: db)
            for draft in drafts { try await Self.checkNameFree(db, draft.name, except: nil) }
            try await Self.checkUsersExist(db, drafts.map(\.members))
            for draft in drafts {
                try Self.checkSelf(caller, members: draft.members, disabling: draft.status == .disabled || draft.guiAccess == .disabled)
            }
            let first = try await IDAllocator.reserve(db, table: "usrgrp", field: "usrgrpid", count: drafts.count)
            var ids: [UserGroupID] = []
            var records: [AuditLog.Record] = []
            for (offset, draft) in drafts.enumerated() {
                let group = UserGroup(
                    id: UserGroupID(first + Int64(offset)),
                    name: draft.name,
                    guiAccess: draft.guiAccess,
                    status: draft.status,
                    debugMode: draft.debugMode
                )
                try await GroupRepository.insert(db, group)
                let membership = try await GroupRepository.setMembers(db, of: group.id, to: draft.members)
                ids.append(group.id)
                records.append(
                    .init(
                        action: .add,
                        resource: .userGroup,
                        resourceid: group.id.description,
                        resourcename: group.name,
                        details: JSONObject(Self.addedFields(draft, group, membership))
                    )
                )
            }
            try await AuditLog.write(db, caller, records)
            return ids
        }
        changes.apply(.everything)
        return ids
    }

    /// The audit details of a new group: the fields given with other than their default values, in the
    /// order given, the memberships where the members were given, then the id.
    private static func addedFields(
        _ draft: UserGroupDraft,
        _ group: UserGroup,
        _ membership: GroupRepository.MembershipChange
    ) -> [(String, JSON)] {
        var given = draft.given
        if !given.contains(.users) { given.append(.users) }
        var fields: [(String, JSON)] = []
        for field in given {
            if field == .users {
                fields += membershipDetails(membership)
                continue
            }
            let text = group.text(of: field)
            if field == .name || text != "0" { fields.append(("usergroup.\(field.rawValue)", ["add", .string(text)])) }
        }
        fields.append(("usergroup.usrgrpid", ["add", .string(group.id.description)]))
        return fields
    }

    /// The audit details of membership rows removed and added.
    private static func membershipDetails(_ change: GroupRepository.MembershipChange) -> [(String, JSON)] {
        change.removed.map { ("usergroup.users[\($0)]", ["delete"]) }
            + change.added.flatMap { id, user -> [(String, JSON)] in
                [
                    ("usergroup.users[\(id)]", ["add"]), ("usergroup.users[\(id)].userid", ["add", .string(user.description)]),
                    ("usergroup.users[\(id)].id", ["add", .string(String(id))]),
                ]
            }
    }

    // MARK: - Update

    /// Changes groups; returns their ids. Unchanged fields are not written and not audited.
    @discardableResult
    public func update(_ edits: [UserGroupChange], by caller: CallContext) async throws -> [UserGroupID] {
        try caller.principal.permissions.requireSuperAdmin(for: "usergroup.update")
        if edits.isEmpty { throw APIError.invalid("/", "cannot be empty") }
        for (index, edit) in edits.enumerated() { try Self.check(edit.name, edit.members, item: index + 1) }
        let ids = edits.map(\.id)
        try Self.checkUnique(ids.map(\.description), field: "usrgrpid")
        try Self.checkUnique(edits.map(\.name), field: "name")
        try await database.transaction { db in
            try await changes.announce(.everything, in: db)
            let groups = try await GroupRepository.existing(db, ids: ids)
            var pairs: [(edit: UserGroupChange, old: UserGroup)] = []
            for edit in edits {
                guard let old = groups[edit.id] else { throw APIError.noPermissions }
                pairs.append((edit, old))
            }
            for (edit, old) in pairs {
                if let name = edit.name, name != old.name { try await Self.checkNameFree(db, name, except: old.id) }
            }
            try await Self.checkUsersExist(db, edits.compactMap(\.members))
            for (edit, old) in pairs {
                let disabling = (edit.status ?? old.status) == .disabled || (edit.guiAccess ?? old.guiAccess) == .disabled
                let members: [UserID]
                if let given = edit.members {
                    members = given
                } else {
                    members = try await GroupRepository.members(db, of: old.id, columns: []).map(\.id)
                }
                try Self.checkSelf(caller, members: members, disabling: disabling)
            }
            var records: [AuditLog.Record] = []
            for (edit, old) in pairs {
                let new = old.applying(edit)
                let edited = UserGroupField.columns.filter { new.text(of: $0) != old.text(of: $0) }
                try await GroupRepository.update(db, new, fields: edited)
                var details = AuditLog.updateDetails("usergroup", edited.map { ($0.rawValue, new.text(of: $0), old.text(of: $0)) }).pairs
                if let members = edit.members { details += Self.membershipDetails(try await GroupRepository.setMembers(db, of: old.id, to: members)) }
                guard !details.isEmpty else { continue }
                records.append(
                    .init(action: .update, resource: .userGroup, resourceid: old.id.description, resourcename: old.name, details: JSONObject(details))
                )
            }
            try await AuditLog.write(db, caller, records)
            try await Self.checkNobodyWithoutGroup(db)
        }
        changes.apply(.everything)
        return ids
    }

    // MARK: - Delete

    /// Deletes groups; their members who are left in no group keep the whole call from happening.
    public func delete(_ ids: [UserGroupID], by caller: CallContext) async throws {
        try caller.principal.permissions.requireSuperAdmin(for: "usergroup.delete")
        try UserGroupID.checkList(ids)
        try await database.transaction { db in
            try await changes.announce(.everything, in: db)
            let groups = try await GroupRepository.existing(db, ids: ids)
            var deleted: [UserGroup] = []
            for id in ids {
                guard let group = groups[id] else { throw APIError.noPermissions }
                deleted.append(group)
            }
            let alertGroup = try await Settings.load(db).string("alert_usrgrpid")
            if let used = deleted.first(where: { $0.id.description == alertGroup }) {
                throw APIError.params("User group \"\(used.name)\" is used in configuration for database down messages.")
            }
            try await GroupRepository.delete(db, ids: ids)
            try await Self.checkNobodyWithoutGroup(db)
            try await AuditLog.write(
                db,
                caller,
                deleted.map { .init(action: .delete, resource: .userGroup, resourceid: $0.id.description, resourcename: $0.name, details: nil) }
            )
        }
        changes.apply(.everything)
    }

    // MARK: - Rules

    private static func checkNameFree(_ db: any SQLDatabase, _ name: String, except id: UserGroupID?) async throws {
        if let existing = try await GroupRepository.id(db, named: name), existing != id {
            throw APIError.params("User group \"\(name)\" already exists.")
        }
    }

    /// The members of every group of a call exist, checked in the order given.
    private static func checkUsersExist(_ db: any SQLDatabase, _ memberLists: [[UserID]]) async throws {
        for user in memberLists.joined() where !(try await UserRepository.exists(db, userid: user.description)) {
            throw APIError.params("User with ID \"\(user)\" is not available.")
        }
    }

    /// The caller may not put themself into a disabled group or one without frontend access.
    private static func checkSelf(_ caller: CallContext, members: [UserID], disabling: Bool) throws(APIError) {
        if disabling, members.contains(caller.principal.id) {
            throw .params("User cannot add himself to a disabled group or a group with disabled GUI access.")
        }
    }

    /// Every user must stay in at least one group.
    private static func checkNobodyWithoutGroup(_ db: any SQLDatabase) async throws {
        if let username = try await GroupRepository.firstWithoutGroup(db) {
            throw APIError.params("User \"\(username)\" cannot be without user group.")
        }
    }

    /// The name of the `item`th group of a call (the API's rule tree checks the same first, with the
    /// same messages): not empty, not too long, without NUL characters (PostgreSQL cannot store them).
    static func checkName(_ name: String, item: Int) throws(APIError) {
        let path = "/\(item)/name"
        if name.containsNUL { throw .invalid(path, "the NUL character is not allowed") }
        if name.isEmpty { throw .invalid(path, "cannot be empty") }
        if name.unicodeScalars.count > nameLimit { throw .invalid(path, "value is too long") }
    }

    /// The fields of the `item`th group of a call, in the order of the API's rule tree: the name, then
    /// the members (each once).
    private static func check(_ name: String?, _ members: [UserID]?, item: Int) throws(APIError) {
        if let name { try checkName(name, item: item) }
        try checkUnique((members ?? []).map(\.description), field: "userid", path: "/\(item)/users")
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

extension UserGroupField {
    /// The fields stored in the group's own row, in the order updates are audited.
    static let columns: [UserGroupField] = [.name, .guiAccess, .status, .debugMode]
}

extension UserGroup {
    /// A field's value as the API prints it and the audit log records it (`users` is not one).
    func text(of field: UserGroupField) -> String {
        switch field {
        case .name: return name
        case .guiAccess: return String(guiAccess.rawValue)
        case .status: return String(status.rawValue)
        case .debugMode: return String(debugMode.rawValue)
        case .users: return ""
        }
    }

    /// The group with a change's fields set.
    func applying(_ change: UserGroupChange) -> UserGroup {
        var group = self
        if let name = change.name { group.name = name }
        if let guiAccess = change.guiAccess { group.guiAccess = guiAccess }
        if let status = change.status { group.status = status }
        if let debugMode = change.debugMode { group.debugMode = debugMode }
        return group
    }
}
