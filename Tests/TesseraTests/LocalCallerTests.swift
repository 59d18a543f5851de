import Testing

@testable import Tessera

/// `Services.localCaller`, the command line's way in: a named user without a password, under the same
/// permissions and audit records as the API and the UI give them.
@Suite("local caller")
struct LocalCallerTests {
    @Test(arguments: Engine.available)
    func actsAsTheUserWithTheirRole(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let admin = try await h.services.localCaller(as: nil, ip: "127.0.0.1")
            #expect(admin.principal.userid == "1" && admin.principal.credential == .local)
            #expect(try await h.services.tokens.create([TokenDraft(name: "cli")], by: admin) == [TokenID(1)])
            let records = try await h.result(
                "auditlog.get",
                ["output": ["username", "ip", "action"], "filter": ["resourcetype": 45]],
                auth: try await h.login()
            )
            #expect(records == [["username": "Admin", "ip": "127.0.0.1", "action": "0"]])

            let session = try await h.login()
            let roleid = try await h.result(
                "role.create",
                ["name": "no tokens", "type": 1, "rules": ["actions": [["name": "manage_api_tokens", "status": 0]]]],
                auth: session
            )["roleids"]?.arrayValue?.first?.stringValue
            _ = try await h.user("worker", roleid: roleid ?? "", auth: session)
            let worker = try await h.services.localCaller(as: "worker", ip: "127.0.0.1")
            await #expect(throws: APIError.noOperationPermission) { try await h.services.tokens.create([TokenDraft(name: "mine")], by: worker) }
            await #expect(throws: APIError.noPermissions) { try await h.services.users.update([(UserID(1), UserFields(name: "x"))], by: worker) }
            // What only Super admins may do is refused as the API's role gate refuses it.
            await #expect(throws: APIError.params("No permissions to call \"user.create\".")) {
                try await h.services.users.create([UserFields(username: "x", role: RoleID(1), groups: [UserGroupID(7)])], by: worker)
            }
            await #expect(throws: APIError.params("No permissions to call \"usergroup.delete\".")) {
                try await h.services.userGroups.delete([UserGroupID(7)], by: worker)
            }
            await #expect(throws: APIError.params("No permissions to call \"role.update\".")) {
                try await h.services.roles.update([RoleChange(id: RoleID(1), name: "x")], by: worker)
            }
        }
    }

    @Test(arguments: Engine.available)
    func refusesUnknownAndDisabledUsers(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let unknown = await #expect(throws: ConfigurationError.self) { try await h.services.localCaller(as: "nobody", ip: "127.0.0.1") }
            #expect(unknown?.description == "cannot act as \"nobody\": there is no such user")
            let disabled = await #expect(throws: ConfigurationError.self) { try await h.services.localCaller(as: "guest", ip: "127.0.0.1") }
            #expect(disabled?.description == "cannot act as \"guest\": the user is disabled")
        }
    }
}
