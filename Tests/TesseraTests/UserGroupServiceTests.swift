import Testing

@testable import Tessera

/// The user group rules through the typed service, without the JSON-RPC envelope: what the API and
/// the web UI both rely on.
@Suite("user group service")
struct UserGroupServiceTests {
    func admin(_ h: Harness) async throws -> CallContext { try await h.services.localCaller(as: nil, ip: "127.0.0.1") }

    @Test(arguments: Engine.available)
    func createsAndListsTyped(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let admin = try await admin(h)
            let groups = h.services.userGroups
            let draft = UserGroupDraft(name: "ops", guiAccess: .internal, debugMode: .enabled, members: [UserID(1)])
            let ids = try await groups.create([draft], by: admin)
            #expect(ids == [UserGroupID(13)])

            let query = UserGroupQuery(ids: ids, members: .init(columns: ["username"], flags: true))
            let listing = try #require(try await groups.groups(query, by: admin).first)
            #expect(listing.group == UserGroup(id: UserGroupID(13), name: "ops", guiAccess: .internal, debugMode: .enabled))
            let member = try #require(listing.members?.first)
            #expect(member.id == UserID(1) && member.fields == ["username": "Admin"])
            // Over Zabbix administrators and ops: the highest frontend access and debug mode.
            #expect(member.flags == GroupFlags(guiAccess: .internal, debugMode: .enabled, status: .enabled))

            let guests = try await groups.groups(UserGroupQuery(ofUsers: [UserID(2)], status: .disabled), by: admin)
            #expect(guests.map(\.group.name) == ["Disabled"] && guests.first?.members == nil)
            let names = try await groups.groups(UserGroupQuery(orderedByName: true), by: admin).map(\.group.name)
            #expect(names == ["Disabled", "Enabled debug mode", "Guests", "No access to the frontend", "Zabbix administrators", "ops"])
            #expect(try await groups.memberCandidates(by: admin).map(\.names.username) == ["Admin", "guest"])
        }
    }

    @Test(arguments: Engine.available)
    func auditsGivenFieldsInTheOrderGiven(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let admin = try await admin(h)
            let groups = h.services.userGroups
            let draft = UserGroupDraft(
                name: "ops",
                guiAccess: .ldap,
                debugMode: .enabled,
                members: [UserID(1)],
                given: [.users, .debugMode, .name, .status, .guiAccess]
            )
            let id = try await groups.create([draft], by: admin)[0]
            try await groups.update([UserGroupChange(id: id, name: "ops2", guiAccess: .ldap, members: [])], by: admin)
            try await groups.update([UserGroupChange(id: id, status: .enabled)], by: admin)
            let records = try await h.result(
                "auditlog.get",
                ["output": ["action", "resourcename", "details"], "filter": ["resourcetype": 11], "sortfield": ["clock", "auditid"]],
                auth: try await h.login()
            )
            // The status left at its default is not recorded; an update that changes nothing is not audited.
            #expect(
                records == [
                    [
                        "action": "0", "resourcename": "ops",
                        "details":
                            #"{"usergroup.users[5]":["add"],"usergroup.users[5].userid":["add","1"],"usergroup.users[5].id":["add","5"],"usergroup.debug_mode":["add","1"],"usergroup.name":["add","ops"],"usergroup.gui_access":["add","2"],"usergroup.usrgrpid":["add","13"]}"#,
                    ],
                    [
                        "action": "1", "resourcename": "ops",
                        "details": #"{"usergroup.name":["update","ops2","ops"],"usergroup.users[5]":["delete"]}"#,
                    ],
                ]
            )
        }
    }

    @Test(arguments: Engine.available)
    func refusesWhatTheRulesRefuse(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let admin = try await admin(h)
            let groups = h.services.userGroups
            let administrators = UserGroupID(7)
            await #expect(throws: APIError.params("User group \"Guests\" already exists.")) {
                try await groups.create([UserGroupDraft(name: "Guests")], by: admin)
            }
            await #expect(throws: APIError.invalid("/2", "value (name)=(twice) already exists")) {
                try await groups.create([UserGroupDraft(name: "twice"), UserGroupDraft(name: "twice")], by: admin)
            }
            await #expect(throws: APIError.invalid("/1/name", "cannot be empty")) { try await groups.create([UserGroupDraft(name: "")], by: admin) }
            await #expect(throws: APIError.invalid("/1/name", "value is too long")) {
                try await groups.create([UserGroupDraft(name: String(repeating: "é", count: 65))], by: admin)
            }
            await #expect(throws: APIError.invalid("/1/users/2", "value (userid)=(2) already exists")) {
                try await groups.create([UserGroupDraft(name: "g", members: [UserID(2), UserID(2)])], by: admin)
            }
            await #expect(throws: APIError.params("User with ID \"99\" is not available.")) {
                try await groups.create([UserGroupDraft(name: "g", members: [UserID(2), UserID(99)])], by: admin)
            }
            let lockout = APIError.params("User cannot add himself to a disabled group or a group with disabled GUI access.")
            await #expect(throws: lockout) {
                try await groups.create([UserGroupDraft(name: "g", status: .disabled, members: [UserID(1)])], by: admin)
            }
            // The members of the group count when the call does not name them.
            await #expect(throws: lockout) { try await groups.update([UserGroupChange(id: administrators, guiAccess: .disabled)], by: admin) }
            await #expect(throws: APIError.params("User \"Admin\" cannot be without user group.")) {
                try await groups.update([UserGroupChange(id: administrators, members: [])], by: admin)
            }
            await #expect(throws: APIError.noPermissions) { try await groups.update([UserGroupChange(id: UserGroupID(99), name: "x")], by: admin) }
            await #expect(throws: APIError.params("User group \"Zabbix administrators\" is used in configuration for database down messages.")) {
                try await groups.delete([UserGroupID(8), administrators], by: admin)
            }
            await #expect(throws: APIError.params("User \"guest\" cannot be without user group.")) {
                try await groups.delete([UserGroupID(8), UserGroupID(9)], by: admin)
            }
            await #expect(throws: APIError.invalid("/", "cannot be empty")) { try await groups.delete([], by: admin) }
            // Nothing of the refused calls was written.
            let listed = try await groups.groups(UserGroupQuery(members: .init()), by: admin)
            #expect(listed.map(\.group.name) == ["Zabbix administrators", "Guests", "Disabled", "Enabled debug mode", "No access to the frontend"])
            #expect(listed.map { $0.members?.map(\.id.value) ?? [] } == [[1], [2], [2], [], []])
        }
    }

    @Test(arguments: Engine.available)
    func othersSeeOnlyTheirOwnGroups(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            _ = try await h.user("worker", roleid: "1", groups: ["11"], auth: try await h.login())
            let worker = try await h.services.localCaller(as: "worker", ip: "127.0.0.1")
            let groups = h.services.userGroups
            #expect(try await groups.groups(UserGroupQuery(), by: worker).map(\.group.name) == ["Enabled debug mode"])
            #expect(try await groups.groups(UserGroupQuery(editable: true), by: worker).isEmpty)
            #expect(try await groups.memberCandidates(by: worker).map(\.names.username) == ["worker"])
        }
    }
}
