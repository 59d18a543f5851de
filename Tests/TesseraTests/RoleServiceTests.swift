import Testing

@testable import Tessera

/// The role rules through the typed service, without the JSON-RPC envelope: what the API and the web
/// UI both rely on.
@Suite("role service")
struct RoleServiceTests {
    func admin(_ h: Harness) async throws -> CallContext { try await h.services.localCaller(as: nil, ip: "127.0.0.1") }

    @Test(arguments: Engine.available)
    func createsAndListsTyped(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let admin = try await admin(h)
            let roles = h.services.roles
            let rules = RoleRulesChange(apiMode: .allow, api: ["token.*", "user.get"], actions: [RuleEntry("edit_maps", allowed: false)])
            let ids = try await roles.create([RoleDraft(name: "ci", type: .admin, rules: rules)], by: admin)
            #expect(ids == [RoleID(5)])
            _ = try await h.user("worker", roleid: "5", auth: try await h.login())

            let listing = try #require(try await roles.roles(RoleQuery(ids: ids, withRules: true, users: .count), by: admin).first)
            #expect(listing.role == Role(id: RoleID(5), name: "ci", type: .admin))
            #expect(listing.userCount == 1)
            let stored = try #require(listing.rules)
            #expect(stored.apiMode == .allow && stored.api == ["token.*", "user.get"])
            let actions = stored.actionStatuses(type: .admin)
            #expect(actions.first == RuleEntry("edit_maps", allowed: false))
            #expect(actions.count == RoleCatalog.actions(type: 2).count && actions.dropFirst().allSatisfy(\.allowed))
            // The rules are those its users act under.
            let worker = try await h.services.localCaller(as: "worker", ip: "127.0.0.1")
            #expect(!worker.principal.rules.allows(action: "edit_maps") && worker.principal.rules.allows(action: "manage_sla"))
            #expect(worker.principal.rules.allows(api: "token", method: "get") && !worker.principal.rules.allows(api: "role", method: "get"))

            let users = try await roles.roles(RoleQuery(ids: ids, users: .rows(columns: ["username"])), by: admin)
            #expect(users.first?.users == .rows([["username": "worker"]]))
            let byName = try await roles.roles(RoleQuery(orderedByName: true), by: admin).map(\.role.name)
            #expect(byName == ["Admin role", "Guest role", "Super admin role", "User role", "ci"])
        }
    }

    @Test(arguments: Engine.available)
    func updateKeepsWhatItDoesNotName(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let admin = try await admin(h)
            let roles = h.services.roles
            let id = try await roles.create([RoleDraft(name: "r", type: .user)], by: admin)[0]
            // A new default access leaves the actions as they were: they are written out explicitly first.
            try await roles.update([RoleChange(id: id, rules: RoleRulesChange(actionsDefaultAccess: false))], by: admin)
            try await roles.update([RoleChange(id: id, name: "renamed", type: .admin)], by: admin)
            let listing = try #require(try await roles.roles(RoleQuery(ids: [id], withRules: true), by: admin).first)
            #expect(listing.role == Role(id: id, name: "renamed", type: .admin))
            let rules = try #require(listing.rules)
            #expect(!rules.actionsDefault)
            // The user actions kept their status; those the Admin type adds follow the new default.
            let statuses = Dictionary(uniqueKeysWithValues: rules.actionStatuses(type: .admin).map { ($0.name, $0.allowed) })
            #expect(RoleCatalog.actionsUser.allSatisfy { statuses[$0] == true })
            #expect(RoleCatalog.actionsAdmin.allSatisfy { statuses[$0] == false })
        }
    }

    @Test(arguments: Engine.available)
    func refusesWhatTheRulesRefuse(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let admin = try await admin(h)
            let roles = h.services.roles
            await #expect(throws: APIError.params("User role \"User role\" already exists.")) {
                try await roles.create([RoleDraft(name: "User role", type: .user)], by: admin)
            }
            await #expect(throws: APIError.invalid("/2", "value (name)=(twice) already exists")) {
                try await roles.create([RoleDraft(name: "twice", type: .user), RoleDraft(name: "twice", type: .admin)], by: admin)
            }
            await #expect(throws: APIError.invalid("/1/name", "cannot be empty")) {
                try await roles.create([RoleDraft(name: "", type: .user)], by: admin)
            }
            await #expect(throws: APIError.invalid("/1/name", "value is too long")) {
                try await roles.create([RoleDraft(name: String(repeating: "é", count: 256), type: .user)], by: admin)
            }
            await #expect(throws: APIError.invalid("/1/rules/api/2", "value (user.get) already exists")) {
                try await roles.create([RoleDraft(name: "r", type: .user, rules: RoleRulesChange(api: ["user.get", "user.get"]))], by: admin)
            }
            await #expect(throws: APIError.params("Invalid API method \"user.nothing\" for user role \"r\".")) {
                try await roles.create([RoleDraft(name: "r", type: .user, rules: RoleRulesChange(api: ["user.nothing"]))], by: admin)
            }
            await #expect(throws: APIError.params("Action \"manage_sla\" is not available for user role \"r\".")) {
                try await roles.create([RoleDraft(name: "r", type: .user, rules: RoleRulesChange(actions: [RuleEntry("manage_sla")]))], by: admin)
            }
            await #expect(throws: APIError.params("UI element \"administration.users\" is not available for user role \"r\".")) {
                try await roles.create(
                    [RoleDraft(name: "r", type: .admin, rules: RoleRulesChange(ui: [RuleEntry("administration.users")]))],
                    by: admin
                )
            }
            await #expect(throws: APIError.params("At least one UI element must be enabled for user role \"r\".")) {
                try await roles.create([RoleDraft(name: "r", type: .user, rules: RoleRulesChange(ui: [], uiDefaultAccess: false))], by: admin)
            }
            await #expect(throws: APIError.application("Cannot update readonly user role \"Super admin role\".")) {
                try await roles.update([RoleChange(id: RoleID(3), name: "mine")], by: admin)
            }
            await #expect(throws: APIError.noPermissions) {
                try await roles.update([RoleChange(id: RoleID(1)), RoleChange(id: RoleID(99))], by: admin)
            }
            await #expect(throws: APIError.invalid("/2", "value (roleid)=(1) already exists")) {
                try await roles.update([RoleChange(id: RoleID(1)), RoleChange(id: RoleID(1))], by: admin)
            }
            await #expect(throws: APIError.application("Cannot delete readonly user role \"Super admin role\".")) {
                try await roles.delete([RoleID(3)], by: admin)
            }
            await #expect(throws: APIError.application("Cannot delete assigned user role \"Guest role\".")) {
                try await roles.delete([RoleID(1), RoleID(4)], by: admin)
            }
            await #expect(throws: APIError.invalid("/", "cannot be empty")) { try await roles.delete([], by: admin) }
            await #expect(throws: APIError.invalid("/2", "value (1) already exists")) { try await roles.delete([RoleID(1), RoleID(1)], by: admin) }
            // Nothing of the refused calls was written.
            #expect(try await roles.roles(RoleQuery(), by: admin).map(\.role.name) == ["User role", "Admin role", "Super admin role", "Guest role"])
        }
    }

    @Test(arguments: Engine.available)
    func ownRoleKeepsItsTypeAndOthersSeeNothingEditable(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let admin = try await admin(h)
            let roles = h.services.roles
            let id = try await roles.create([RoleDraft(name: "supers", type: .superAdmin)], by: admin)[0]
            let session = try await h.login()
            _ = try await h.user("boss", roleid: id.description, auth: session)
            _ = try await h.user("worker", roleid: "1", auth: session)
            let boss = try await h.services.localCaller(as: "boss", ip: "127.0.0.1")
            await #expect(throws: APIError.application("Cannot change the user type of own role.")) {
                try await roles.update([RoleChange(id: id, type: .admin)], by: boss)
            }
            try await roles.update([RoleChange(id: id, name: "bosses", type: .superAdmin)], by: boss)

            let worker = try await h.services.localCaller(as: "worker", ip: "127.0.0.1")
            #expect(try await roles.roles(RoleQuery(editable: true), by: worker).isEmpty)
            #expect(try await roles.roles(RoleQuery(editable: true), by: admin).count == 5)
        }
    }

    @Test(arguments: Engine.available)
    func auditsCreateUpdateAndDelete(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let admin = try await admin(h)
            let roles = h.services.roles
            let ids = try await roles.create([RoleDraft(name: "a", type: .user), RoleDraft(name: "b", type: .admin)], by: admin)
            try await roles.update([RoleChange(id: ids[0], name: "c")], by: admin)
            try await roles.delete(ids.reversed(), by: admin)
            let records = try await h.result(
                "auditlog.get",
                ["output": ["action", "resourceid", "resourcename", "details"], "filter": ["resourcetype": 44], "sortfield": ["clock", "auditid"]],
                auth: try await h.login()
            )
            // As Zabbix 6.0.14 answers: the update under the old name, with the changed name.
            #expect(
                records == [
                    ["action": "0", "resourceid": "5", "resourcename": "a", "details": ""],
                    ["action": "0", "resourceid": "6", "resourcename": "b", "details": ""],
                    ["action": "1", "resourceid": "5", "resourcename": "a", "details": #"{"role.name":["update","c","a"]}"#],
                    ["action": "2", "resourceid": "6", "resourcename": "b", "details": ""],
                    ["action": "2", "resourceid": "5", "resourcename": "c", "details": ""],
                ]
            )
        }
    }
}
