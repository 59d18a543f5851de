import Testing

@testable import Tessera

/// `LocalCaller`, the command line's way into the API: a named user without a password, through the
/// same role gate, services and audit records as a JSON-RPC call.
@Suite("local caller")
struct LocalCallerTests {
    @Test(arguments: Engine.available)
    func actsAsTheUserThroughTheRoleGate(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let admin = try await h.login()
            let api = try await LocalCaller(services: h.services, username: nil, ip: "127.0.0.1")
            #expect(api.principal.userid == "1" && api.principal.credential == .local)
            #expect(try await api.call("token.create", ["name": "cli"]) == ["tokenids": ["1"]])
            let records = try await h.result(
                "auditlog.get",
                ["output": ["username", "ip", "action"], "filter": ["resourcetype": 45]],
                auth: admin
            )
            #expect(records == [["username": "Admin", "ip": "127.0.0.1", "action": "0"]])

            let roleid = try await h.result(
                "role.create",
                [
                    "name": "no tokens", "type": 1, "rules": ["actions": [["name": "manage_api_tokens", "status": 0]]],
                ],
                auth: admin
            )["roleids"]!.arrayValue![0].stringValue!
            _ = try await h.user("worker", roleid: roleid, auth: admin)
            let worker = try await LocalCaller(services: h.services, username: "worker", ip: "127.0.0.1")
            await #expect(throws: APIError.params("No permissions to call \"token.create\".")) {
                try await worker.call("token.create", ["name": "mine"])
            }
            await #expect(throws: APIError.params("No permissions to call \"user.unblock\".")) { try await worker.call("user.unblock", ["1"]) }
            // What the role allows goes on to the service, with its own rules.
            await #expect(throws: APIError.noPermissions) { try await worker.call("user.update", ["userid": "1", "name": "x"]) }
        }
    }

    @Test(arguments: Engine.available)
    func refusesUnknownAndDisabledUsers(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let unknown = await #expect(throws: ConfigurationError.self) {
                try await LocalCaller(services: h.services, username: "nobody", ip: "127.0.0.1")
            }
            #expect(unknown?.description == "cannot act as \"nobody\": there is no such user")
            let disabled = await #expect(throws: ConfigurationError.self) {
                try await LocalCaller(services: h.services, username: "guest", ip: "127.0.0.1")
            }
            #expect(disabled?.description == "cannot act as \"guest\": the user is disabled")
        }
    }
}
