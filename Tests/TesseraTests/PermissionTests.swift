import Testing

@testable import Tessera

/// The token permission matrix (token spec §2, §3.4, §6): user type × own or another user's token ×
/// role with and without "Manage API tokens" × API access off, with session and token credentials.
@Suite("token permissions")
struct PermissionTests {
    struct Caller: CustomTestStringConvertible, Sendable {
        let type: Int
        let manageTokens: Bool
        let apiAccess: Bool
        var testDescription: String { "type \(type)\(manageTokens ? "" : ", no manage_api_tokens")\(apiAccess ? "" : ", api.access 0")" }
    }

    static let callers: [Caller] = [1, 2, 3].flatMap { type in
        [
            Caller(type: type, manageTokens: true, apiAccess: true), Caller(type: type, manageTokens: false, apiAccess: true),
            Caller(type: type, manageTokens: true, apiAccess: false),
        ]
    }

    @Test(arguments: Engine.available, callers)
    func matrix(_ engine: Engine, _ caller: Caller) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let admin = try await h.login()
            let roleid = try await h.result(
                "role.create",
                [
                    "name": "tested", "type": .int(caller.type),
                    "rules": [
                        "api.access": caller.apiAccess ? 1 : 0, "actions": [["name": "manage_api_tokens", "status": caller.manageTokens ? 1 : 0]],
                    ],
                ],
                auth: admin
            )["roleids"]!.arrayValue![0].stringValue!
            let userid = try await h.user("caller", roleid: roleid, auth: admin)
            let session = try await h.login("caller", "Str0ng-Passw0rd!")
            // Another user's token, made by the Super admin.
            let other = try await h.result("token.create", ["name": "other", "userid": "1"], auth: admin)["tokenids"]!.arrayValue![0]
            let allowed = caller.manageTokens && caller.apiAccess
            let isSuper = caller.type == 3

            func denied(_ method: String) -> JSON { error(-32602, "No permissions to call \"\(method)\".") }

            // Own token.
            let created = try await h.call("token.create", ["name": "own"], auth: session)
            #expect(created == (allowed ? success(["tokenids": ["2"]]) : denied("token.create")))
            guard allowed else {
                for method in ["token.get", "token.update", "token.delete", "token.generate"] {
                    #expect(
                        try await h.call(method, method == "token.get" ? [:] : method == "token.update" ? ["tokenid": "1"] : ["1"], auth: session)
                            == denied(method)
                    )
                }
                return
            }
            let generated = try await h.result("token.generate", ["2"], auth: session).arrayValue![0]["token"]!.stringValue!
            // The same outcomes with the session and with the caller's own token.
            for credential in [session, generated] {
                #expect(
                    try await h.call("token.update", ["tokenid": "2", "description": .string(credential.prefix(4) + "")], auth: credential)
                        == success(["tokenids": ["2"]])
                )
                let visible = try await h.result("token.get", ["output": ["tokenid"], "sortfield": "tokenid"], auth: credential)
                let ids = visible.arrayValue!.map { $0["tokenid"]! }
                #expect(ids.contains(other) == isSuper)
                #expect(ids.contains("2"))
                #expect(
                    try await h.result("token.get", ["userids": .string(userid), "countOutput": true], auth: credential)
                        == .string(String(ids.count - (isSuper ? 1 : 0)))
                )
                #expect(
                    try await h.result("token.get", ["userids": "1", "output": ["tokenid"]], auth: credential)
                        == (isSuper ? [["tokenid": other]] : [])
                )
                for (method, params) in [("token.update", ["tokenid": other] as JSON), ("token.generate", [other]), ("token.delete", [other, "2"])] {
                    let response = try await h.call(method, params, auth: credential)
                    if isSuper {
                        #expect(response["result"] != nil, "\(method) \(response.encoded())")
                    } else {
                        #expect(response == error(-32500, "No permissions to referred object or it does not exist!"), "\(method)")
                    }
                    if isSuper, method == "token.delete" { return }
                }
                let forOther = try await h.call(
                    "token.create",
                    ["name": .string("for-other-" + credential.prefix(4)), "userid": "1"],
                    auth: credential
                )
                #expect(isSuper ? forOther["result"] != nil : forOther == error(-32602, #"User with ID "1" is not available."#))
                // Naming oneself explicitly is fine for everyone.
                let forSelf = try await h.call(
                    "token.create",
                    ["name": .string("self-" + credential.prefix(4)), "userid": .string(userid)],
                    auth: credential
                )
                #expect(forSelf["result"] != nil)
            }
        }
    }

    @Test(arguments: Engine.available)
    func gatesOfTheUserMethods(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let admin = try await h.login()
            _ = try await h.user("plain", roleid: "1", auth: admin)
            _ = try await h.user("boss", roleid: "2", auth: admin)
            for name in ["plain", "boss"] {
                let s = try await h.login(name, "Str0ng-Passw0rd!")
                for method in ["user.create", "user.delete", "usergroup.create", "role.create", "auditlog.get", "authentication.get", "user.unblock"]
                {
                    #expect(try await h.call(method, [:], auth: s) == error(-32602, "No permissions to call \"\(method)\"."), "\(name) \(method)")
                }
                for method in ["user.get", "usergroup.get", "role.get", "settings.get"] {
                    #expect(try await h.call(method, [:], auth: s)["result"] != nil, "\(name) \(method)")
                }
            }
            // API method lists: deny-list and allow-list.
            _ = try await h.result("role.update", ["roleid": "1", "rules": ["api.mode": 0, "api": ["token.*"]]], auth: admin)
            let plain = try await h.login("plain", "Str0ng-Passw0rd!")
            #expect(try await h.call("token.get", [:], auth: plain) == error(-32602, #"No permissions to call "token.get"."#))
            #expect(try await h.call("user.get", ["output": ["userid"], "userids": "3"], auth: plain) == success([["userid": "3"]]))
            _ = try await h.result("role.update", ["roleid": "1", "rules": ["api.mode": 1, "api": ["*.get"]]], auth: admin)
            #expect(try await h.call("token.get", [:], auth: plain) == success([]))
            #expect(try await h.call("token.create", ["name": "x"], auth: plain) == error(-32602, #"No permissions to call "token.create"."#))
        }
    }

    @Test(arguments: Engine.available)
    func guestIsRefused(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let admin = try await h.login()
            // Give guest a working group, role and token: token changes are still refused to the user named guest.
            _ = try await h.result("user.update", ["userid": "2", "roleid": "1", "usrgrps": [["usrgrpid": "7"]]], auth: admin)
            _ = try await h.result("token.create", ["name": "g", "userid": "2"], auth: admin)
            let value = try await h.result("token.generate", ["1"], auth: admin).arrayValue![0]["token"]!.stringValue!
            #expect(try await h.call("token.get", ["output": ["name"]], auth: value) == success([["name": "g"]]))
            for (method, params) in [
                ("token.create", ["name": "x"] as JSON), ("token.update", ["tokenid": "1"]), ("token.delete", ["1"]), ("token.generate", ["1"]),
            ] {
                #expect(try await h.call(method, params, auth: value) == error(-32500, "You do not have permission to perform this operation."))
            }
        }
    }
}
