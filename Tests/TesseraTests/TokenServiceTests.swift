import Testing

@testable import Tessera

/// The token rules through the typed service, without the JSON-RPC envelope: what the API, the web UI
/// and the command line all rely on.
@Suite("token service")
struct TokenServiceTests {
    /// The caller of `username` as the command line acts as it.
    func caller(_ h: Harness, _ username: String? = nil) async throws -> CallContext {
        try await h.services.localCaller(as: username, ip: "127.0.0.1")
    }

    @Test(arguments: Engine.available)
    func createsWithValueOnceAndListsTyped(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let admin = try await caller(h)
            let made = try await h.services.tokens.createWithValue(
                TokenDraft(name: "ci", description: "nightly", expiry: .at(h.clock.now + 60)),
                by: admin
            )
            #expect(made.value.utf8.count == 64)
            let listed = try await h.services.tokens.tokens(TokenQuery(ids: [made.id]), by: admin)
            #expect(
                listed == [
                    Token(
                        id: made.id,
                        name: "ci",
                        description: "nightly",
                        owner: UserID(1),
                        lastAccess: 0,
                        status: .enabled,
                        expiry: .at(h.clock.now + 60),
                        createdAt: h.clock.now,
                        creator: UserID(1)
                    )
                ]
            )
            // The value authenticates, and is found by the value filter; another is not.
            #expect(try await h.result("user.checkAuthentication", ["token": .string(made.value)])["userid"] == "1")
            #expect(try await h.services.tokens.tokens(TokenQuery(value: made.value), by: admin).map(\.id) == [made.id])
            #expect(try await h.services.tokens.tokens(TokenQuery(value: String(repeating: "0", count: 64)), by: admin).isEmpty)
            // Its use shows before the recorder writes it.
            #expect(try await h.services.tokens.tokens(TokenQuery(ids: [made.id]), by: admin).first?.lastAccess == h.clock.now)
        }
    }

    @Test(arguments: Engine.available)
    func auditsGivenFieldsInTheOrderGiven(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let admin = try await caller(h)
            let draft = TokenDraft(name: "a", status: .disabled, expiry: .at(1_900_000_000), given: [.expiresAt, .name, .status, .description])
            let ids = try await h.services.tokens.create([draft], by: admin)
            try await h.services.tokens.update(
                [TokenChange(id: ids[0], name: "b", description: "", status: .disabled, given: [.status, .description, .name])],
                by: admin
            )
            let session = try await h.login()
            let records = try await h.result(
                "auditlog.get",
                ["output": ["action", "details"], "filter": ["resourcetype": 45], "sortfield": "clock"],
                auth: session
            )
            // The description left empty and the status left as it was are not recorded; the owner, not given, comes last.
            #expect(
                records == [
                    [
                        "action": "0",
                        "details":
                            #"{"token.expires_at":["add","1900000000"],"token.name":["add","a"],"token.status":["add","1"],"token.userid":["add","1"],"token.tokenid":["add","1"]}"#,
                    ],
                    ["action": "1", "details": #"{"token.name":["update","b","a"]}"#],
                ]
            )
        }
    }

    @Test(arguments: Engine.available)
    func refusesWhatTheRulesRefuse(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let admin = try await caller(h)
            let tokens = h.services.tokens
            let id = try await tokens.create([TokenDraft(name: "taken")], by: admin)[0]
            await #expect(throws: APIError.params("API token \"taken\" already exists for userid \"1\".")) {
                try await tokens.create([TokenDraft(name: "taken")], by: admin)
            }
            await #expect(throws: APIError.invalid("/2", "value (userid, name)=(1, twice) already exists")) {
                try await tokens.create([TokenDraft(name: "twice"), TokenDraft(name: "twice")], by: admin)
            }
            await #expect(throws: APIError.invalid("/1/name", "value is too long")) {
                try await tokens.create([TokenDraft(name: String(repeating: "é", count: 65))], by: admin)
            }
            await #expect(throws: APIError.invalid("/1/name", "cannot be empty")) {
                try await tokens.createWithValue(TokenDraft(name: ""), by: admin)
            }
            await #expect(throws: APIError.invalid("/1/description", "the NUL character is not allowed")) {
                try await tokens.create([TokenDraft(name: "n", description: "a\u{0}b")], by: admin)
            }
            await #expect(throws: APIError.invalid("/1/expires_at", "a number is too large")) {
                try await tokens.update([TokenChange(id: id, expiry: .at(Int64(Int32.max) + 1))], by: admin)
            }
            await #expect(throws: APIError.invalid("/", "cannot be empty")) { try await tokens.delete([], by: admin) }
            await #expect(throws: APIError.invalid("/2", "value (\(id)) already exists")) { try await tokens.generate([id, id], by: admin) }
            await #expect(throws: APIError.noPermissions) { try await tokens.setStatus(.disabled, of: [id, TokenID(99)], by: admin) }
            await #expect(throws: APIError.params("User with ID \"99\" is not available.")) {
                try await tokens.create([TokenDraft(name: "x", owner: UserID(99))], by: admin)
            }
            // Nothing of the refused calls was written.
            #expect(try await tokens.tokens(TokenQuery(), by: admin).map(\.name) == ["taken"])
        }
    }

    @Test(arguments: Engine.available)
    func limitsUsersToTheirOwnTokens(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let session = try await h.login()
            _ = try await h.user("worker", roleid: "1", auth: session)
            let admin = try await caller(h)
            let worker = try await caller(h, "worker")
            let tokens = h.services.tokens
            let adminsToken = try await tokens.create([TokenDraft(name: "admin's")], by: admin)[0]
            let workersToken = try await tokens.createWithValue(TokenDraft(name: "worker's"), by: worker).id
            #expect(try await tokens.tokens(TokenQuery(), by: worker).map(\.id) == [workersToken])
            #expect(try await tokens.tokens(TokenQuery(), by: admin).map(\.id) == [adminsToken, workersToken])
            await #expect(throws: APIError.noPermissions) { try await tokens.delete([adminsToken], by: worker) }
            await #expect(throws: APIError.params("User with ID \"1\" is not available.")) {
                try await tokens.create([TokenDraft(name: "for admin", owner: UserID(1))], by: worker)
            }
            // Under User settings a Super admin has only their own tokens too.
            await #expect(throws: APIError.noPermissions) { try await tokens.setStatus(.disabled, of: [workersToken], by: admin, onlyOwn: true) }
            try await tokens.setStatus(.disabled, of: [workersToken], by: admin)
            #expect(try await tokens.tokens(TokenQuery(ids: [workersToken]), by: worker).first?.status == .disabled)
        }
    }

    @Test(arguments: Engine.available)
    func refusesGuestAndRolesWithoutTheAction(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let session = try await h.login()
            let roleid = try await h.result(
                "role.create",
                ["name": "no tokens", "type": 1, "rules": ["actions": [["name": "manage_api_tokens", "status": 0]]]],
                auth: session
            )["roleids"]!.arrayValue![0].stringValue!
            _ = try await h.user("worker", roleid: roleid, auth: session)
            let worker = try await caller(h, "worker")
            #expect(!worker.principal.permissions.mayManageTokens && !worker.principal.permissions.mayUseOwnTokenPages)
            await #expect(throws: APIError.noOperationPermission) { try await h.services.tokens.createWithValue(TokenDraft(name: "x"), by: worker) }
            // The guest may not change tokens whatever its role allows.
            let principal = Principal(
                id: UserID(2),
                username: "guest",
                roleid: RoleID(4),
                type: .superAdmin,
                credential: .local,
                rules: RoleRules()
            )
            let guest = h.services.context(for: principal, ip: "127.0.0.1")
            #expect(guest.principal.permissions.mayManageTokens && !guest.principal.permissions.mayChangeTokens)
            await #expect(throws: APIError.noOperationPermission) { try await h.services.tokens.create([TokenDraft(name: "x")], by: guest) }
        }
    }
}
