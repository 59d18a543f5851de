import Testing

@testable import Tessera

/// Every authentication outcome of token spec §3 and users spec §2, with the exact responses.
@Suite("authentication")
struct AuthenticationTests {
    static let get: JSON = ["output": ["tokenid"], "limit": 1]

    @Test(arguments: Engine.available)
    func tokenOutcomes(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let s = try await h.login()
            let now = h.clock.now
            let ok = try await h.token("ok", auth: s)
            #expect(try await h.call("token.get", Self.get, auth: ok.value) == success([["tokenid": .string(ok.id)]]))
            #expect(try await h.call("token.get", Self.get, bearer: ok.value) == success([["tokenid": .string(ok.id)]]))

            // Unknown, wrong case, never generated, disabled: all the same answer.
            let unknown = String(repeating: "0", count: 64)
            #expect(try await h.call("token.get", Self.get, auth: unknown) == error(-32602, "Not authorized."))
            #expect(try await h.call("token.get", Self.get, auth: ok.value.uppercased()) == error(-32602, "Not authorized."))
            let disabled = try await h.token("disabled", auth: s, extra: ["status": 1])
            #expect(try await h.call("token.get", Self.get, auth: disabled.value) == error(-32602, "Not authorized."))

            // Expiry: accepted up to and including its second.
            let expiring = try await h.token("expiring", auth: s, extra: ["expires_at": .int(now)])
            #expect(try await h.call("token.get", Self.get, auth: expiring.value) == success([["tokenid": .string(ok.id)]]))
            h.clock.advance(1)
            #expect(try await h.call("token.get", Self.get, auth: expiring.value) == error(-32500, "API token expired."))
            #expect(try await h.call("user.checkAuthentication", ["token": .string(expiring.value)]) == error(-32500, "API token expired."))

            // Regenerated: the old value stops at once, the new one works.
            let regenerated = try await h.result("token.generate", [.string(ok.id)], auth: s).arrayValue![0]["token"]!.stringValue!
            #expect(try await h.call("token.get", Self.get, auth: ok.value) == error(-32602, "Not authorized."))
            #expect(try await h.call("token.get", Self.get, auth: regenerated) == success([["tokenid": .string(ok.id)]]))

            // Deleted.
            _ = try await h.result("token.delete", [.string(ok.id)], auth: s)
            #expect(try await h.call("token.get", Self.get, auth: regenerated) == error(-32602, "Not authorized."))
        }
    }

    @Test(arguments: Engine.available)
    func ownerStateIsCheckedOnEveryCall(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let s = try await h.login()
            let userid = try await h.user("owner", roleid: "1", auth: s)
            let us = try await h.login("owner", "Str0ng-Passw0rd!")
            let t = try await h.token("mine", auth: us)
            #expect(try await h.call("token.get", Self.get, auth: t.value) == success([["tokenid": .string(t.id)]]))
            let before = try await h.result("token.get", ["tokenids": .string(t.id), "output": ["lastaccess"]], auth: s)

            // Owner moved into the Disabled group: refused, lastaccess untouched.
            _ = try await h.result("user.update", ["userid": .string(userid), "usrgrps": [["usrgrpid": "7"], ["usrgrpid": "9"]]], auth: s)
            h.clock.advance(5)
            #expect(try await h.call("token.get", Self.get, auth: t.value) == error(-32602, "Not authorized."))
            #expect(try await h.call("user.checkAuthentication", ["token": .string(t.value)]) == error(-32602, "Not authorized."))
            #expect(try await h.result("token.get", ["tokenids": .string(t.id), "output": ["lastaccess"]], auth: s) == before)

            // Back in: accepted; the role losing API access refuses every method, token or session.
            _ = try await h.result("user.update", ["userid": .string(userid), "usrgrps": [["usrgrpid": "7"]]], auth: s)
            #expect(try await h.call("token.get", Self.get, auth: t.value) == success([["tokenid": .string(t.id)]]))
            _ = try await h.result("role.update", ["roleid": "1", "rules": ["api.access": 0]], auth: s)
            #expect(try await h.call("token.get", Self.get, auth: t.value) == error(-32602, #"No permissions to call "token.get"."#))
            #expect(try await h.call("Token.Get", Self.get, auth: t.value) == error(-32602, #"No permissions to call "Token.Get"."#))
            // checkAuthentication does not look at the role.
            #expect(try await h.result("user.checkAuthentication", ["token": .string(t.value)])["userid"] == .string(userid))
            _ = try await h.result("role.update", ["roleid": "1", "rules": ["api.access": 1]], auth: s)

            // Owner deleted: its tokens go with it.
            _ = try await h.result("user.delete", [.string(userid)], auth: s)
            #expect(try await h.call("token.get", Self.get, auth: t.value) == error(-32602, "Not authorized."))
            #expect(try await h.result("token.get", ["tokenids": .string(t.id)], auth: s) == [])
        }
    }

    @Test(arguments: Engine.available)
    func lastaccessIsStampedBeforeTheMethodRuns(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let s = try await h.login()
            let t = try await h.token("t", auth: s)
            h.clock.advance(42)
            // The call fails validation, yet the token's use is recorded.
            #expect(
                try await h.call("token.get", ["bogus": 1], auth: t.value) == error(-32602, #"Invalid parameter "/": unexpected parameter "bogus"."#)
            )
            #expect(try await h.result("token.get", ["output": ["lastaccess"]], auth: s) == [["lastaccess": .string(String(h.clock.now))]])
        }
    }

    @Test(arguments: Engine.available)
    func credentialForms(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let s = try await h.login()
            #expect(try await h.call("token.get", Self.get) == error(-32602, "Not authorized."))
            #expect(try await h.call("token.get", Self.get, auth: "short") == error(-32602, "Session terminated, re-login, please."))
            #expect(
                try await h.call("token.get", Self.get, auth: String(repeating: "a", count: 32))
                    == error(-32602, "Session terminated, re-login, please.")
            )
            #expect(try await h.call("token.get", Self.get, auth: String(repeating: "é", count: 32)) == error(-32602, "Not authorized."))
            #expect(try await h.call("token.get", Self.get, bearer: s) == success([]))
            // The auth member wins over the header.
            #expect(try await h.call("token.get", Self.get, auth: "short", bearer: s) == error(-32602, "Session terminated, re-login, please."))
            // Anonymous methods ignore the header but refuse the member.
            #expect(try await h.call("apiinfo.version", [], bearer: s) == success("7.0.0"))
            #expect(
                try await h.call("user.login", ["username": "Admin", "password": "x"], auth: s)
                    == error(-32602, #"The "user.login" method must be called without the "auth" parameter."#)
            )
        }
    }

    @Test(arguments: Engine.available)
    func checkAuthentication(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let s = try await h.login()
            let t = try await h.token("t", auth: s)
            let expected: JSON = [
                "userid": "1", "username": "Admin", "name": "Zabbix", "surname": "Administrator", "url": "", "autologin": "1",
                "autologout": "0", "lang": "en_US", "refresh": "30s", "theme": "default", "attempt_failed": "0", "attempt_ip": "",
                "attempt_clock": "0", "rows_per_page": "50", "timezone": "system", "roleid": "3", "type": 3, "userip": "127.0.0.1",
                "debug_mode": 0, "gui_access": 0,
            ]
            #expect(try await h.call("user.checkAuthentication", ["token": .string(t.value)]) == success(expected))
            var withSession = expected.objectValue!
            withSession["sessionid"] = .string(s)
            #expect(try await h.call("user.checkAuthentication", ["sessionid": .string(s)]) == success(.object(withSession)))
            #expect(try await h.call("user.checkAuthentication", [:]) == error(-32602, "Session ID or token is expected."))
            #expect(
                try await h.call("user.checkAuthentication", ["sessionid": "a", "token": "b"]) == error(-32602, "Session ID or token is expected.")
            )
            #expect(
                try await h.call("user.checkAuthentication", ["token": "b", "extend": true])
                    == error(-32602, #"Invalid parameter "/": unexpected parameter "extend"."#)
            )
            #expect(try await h.call("user.checkAuthentication", ["sessionid": "abc"]) == error(-32602, "Session terminated, re-login, please."))
            #expect(
                try await h.call("user.checkAuthentication", ["token": .string(String(repeating: "1", count: 64))])
                    == error(-32602, "Not authorized.")
            )
            #expect(
                try await h.call("user.checkAuthentication", ["token": .string(t.value)], auth: s)
                    == error(-32602, #"The "user.checkAuthentication" method must be called without the "auth" parameter."#)
            )
        }
    }

    @Test(arguments: Engine.available)
    func logout(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let s = try await h.login()
            let t = try await h.token("t", auth: s)
            #expect(
                try await h.call("user.logout", [:], auth: t.value)
                    == error(
                        -32602,
                        "Cannot log out: this call is authenticated with an API token, which has no session. Disable, delete or regenerate the token to revoke it."
                    )
            )
            #expect(try await h.call("token.get", Self.get, auth: t.value) == success([["tokenid": .string(t.id)]]))
            #expect(try await h.call("user.logout", ["x": 1], auth: s) == error(-32602, #"Invalid parameter "/": should be empty."#))
            #expect(try await h.call("user.logout", [], auth: s) == success(true))
            #expect(try await h.call("user.logout", [], auth: s) == error(-32602, "Session terminated, re-login, please."))
            #expect(try await h.call("token.get", Self.get, auth: s) == error(-32602, "Session terminated, re-login, please."))
        }
    }

    @Test(arguments: Engine.available)
    func loginLockoutAndIdleLogout(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let blocked = "Incorrect user name or password or account is temporarily blocked."
            #expect(try await h.call("user.login", ["username": "nobody", "password": "x"]) == error(-32602, blocked))
            #expect(try await h.call("user.login", ["username": "admin", "password": .string(Harness.adminPassword)]) == error(-32602, blocked))
            #expect(try await h.call("user.login", ["username": "guest", "password": ""]) == error(-32602, "No permissions for system access."))
            for _ in 0..<5 { #expect(try await h.call("user.login", ["username": "Admin", "password": "wrong"]) == error(-32500, blocked)) }
            // Blocked for 30 s, even with the right password.
            #expect(try await h.call("user.login", ["username": "Admin", "password": .string(Harness.adminPassword)]) == error(-32500, blocked))
            h.clock.advance(30)
            let data = try await h.result("user.login", ["username": "Admin", "password": .string(Harness.adminPassword), "userData": true])
            #expect(data["attempt_failed"] == "5")
            let s = data["sessionid"]!.stringValue!
            #expect(
                try await h.result("user.get", ["output": ["attempt_failed"], "userids": "1"], auth: s) == [["userid": "1", "attempt_failed": "0"]]
            )

            // Idle logout after the user's autologout.
            _ = try await h.user("idle", roleid: "1", auth: s)
            _ = try await h.result("user.update", ["userid": "3", "autologout": "90s"], auth: s)
            let idle = try await h.login("idle", "Str0ng-Passw0rd!")
            h.clock.advance(89)
            #expect(try await h.call("user.get", ["output": ["userid"], "userids": "3"], auth: idle) == success([["userid": "3"]]))
            h.clock.advance(90)
            #expect(try await h.call("user.get", ["output": ["userid"]], auth: idle) == error(-32602, "Session terminated, re-login, please."))
        }
    }
}

/// The in-memory fast path (issue 4): cached verdicts never outlive the change that revokes them, and
/// coalesced `lastaccess` values are never lost.
@Suite("token cache and lastaccess")
struct TokenCacheTests {
    static let get: JSON = ["output": ["tokenid"], "limit": 1]

    @Test(arguments: Engine.available)
    func everyRevocationIsSeenAtOnce(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let s = try await h.login()
            let t = try await h.token("cached", auth: s)
            let ok = success([["tokenid": .string(t.id)]])
            #expect(try await h.call("token.get", Self.get, auth: t.value) == ok)  // now cached
            _ = try await h.result("token.update", ["tokenid": .string(t.id), "expires_at": .int(h.clock.now - 1)], auth: s)
            #expect(try await h.call("token.get", Self.get, auth: t.value) == error(-32500, "API token expired."))
            _ = try await h.result("token.update", ["tokenid": .string(t.id), "expires_at": 0, "status": 1], auth: s)
            #expect(try await h.call("token.get", Self.get, auth: t.value) == error(-32602, "Not authorized."))
            _ = try await h.result("token.update", ["tokenid": .string(t.id), "status": 0], auth: s)
            #expect(try await h.call("token.get", Self.get, auth: t.value) == ok)
            // Role and group changes reach cached tokens too.
            let userid = try await h.user("member", roleid: "2", auth: s)
            let member = try await h.login("member", "Str0ng-Passw0rd!")
            let mt = try await h.token("member-token", auth: member)
            #expect(try await h.call("token.get", Self.get, auth: mt.value) == success([["tokenid": .string(mt.id)]]))
            _ = try await h.result("role.update", ["roleid": "2", "rules": ["actions": [["name": "manage_api_tokens", "status": 0]]]], auth: s)
            #expect(try await h.call("token.get", Self.get, auth: mt.value) == error(-32602, #"No permissions to call "token.get"."#))
            _ = try await h.result("usergroup.create", ["name": "off", "users_status": 1, "users": [["userid": .string(userid)]]], auth: s)
            #expect(try await h.call("user.checkAuthentication", ["token": .string(mt.value)]) == error(-32602, "Not authorized."))
        }
    }

    /// Another process on the same SQLite file (the CLI beside a running server) is stood in for by a
    /// second `Services` on the same database: its change reaches this cache through `changelog`.
    @Test
    func changesOfAnotherProcessReachTheCache() async throws {
        try await Harness.with(.sqlite) { (h: Harness) async throws in
            let s = try await h.login()
            let t = try await h.token("shared", auth: s)
            let ok = success([["tokenid": .string(t.id)]])
            #expect(try await h.call("token.get", Self.get, auth: t.value) == ok)  // now cached
            let other = Services(database: h.database, clock: h.clock.unixTime, logger: Harness.logger)
            let update = #"{"jsonrpc":"2.0","method":"token.update","params":{"tokenid":"\#(t.id)","status":1},"auth":"\#(s)","id":1}"#
            let reply = await JSONRPCEndpoint(services: other, logger: Harness.logger).respond(to: Array(update.utf8), bearer: nil, ip: "127.0.0.1")
            #expect(reply.map { String(decoding: $0, as: UTF8.self) } == #"{"jsonrpc":"2.0","result":{"tokenids":["\#(t.id)"]},"id":1}"#)
            await other.shutdown()
            // Seen at the next poll of the change log (every 0.1 s); 5 s is only a bound for a slow machine.
            var answer = try await h.call("token.get", Self.get, auth: t.value)
            for _ in 0..<100 where answer == ok {
                try await Task.sleep(for: .milliseconds(50))
                answer = try await h.call("token.get", Self.get, auth: t.value)
            }
            #expect(answer == error(-32602, "Not authorized."))
        }
    }

    @Test(arguments: Engine.available)
    func lastaccessIsWrittenOnShutdown(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let s = try await h.login()
            let t = try await h.token("used", auth: s)
            h.clock.advance(7)
            _ = try await h.call("token.get", Self.get, auth: t.value)
            await h.services.shutdown()
            let stored = try await h.database.read { db in
                try await db.raw("SELECT lastaccess FROM token WHERE tokenid = \(bind: Int64(t.id)!)").first()!.decode(
                    column: "lastaccess",
                    as: Int64.self
                )
            }
            #expect(stored == h.clock.now)
        }
    }
}
