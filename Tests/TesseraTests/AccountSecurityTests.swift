import Testing

@testable import Tessera

/// Where Tessera is stricter than Zabbix 6.0.14 about accounts (docs/compatibility.md): what users may
/// change about themselves, changing a password, the login lockout under parallel guesses, and what
/// `role.get` shows of a role's users.
@Suite("account security")
struct AccountSecurityTests {
    static let password = "Str0ng-Passw0rd!"

    @Test(arguments: Engine.available)
    func usersCannotChangeTheirOwnGroupsOrUsername(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let admin = try await h.login()
            let worker = try await h.user("worker", roleid: "1", groups: ["8"], auth: admin)
            let session = try await h.login("worker", Self.password)
            let own: JSON = .string(worker)
            #expect(
                try await h.call("user.update", ["userid": own, "usrgrps": [["usrgrpid": "7"]]], auth: session)
                    == error(-32602, "User cannot change own user groups.")
            )
            #expect(
                try await h.call("user.update", ["userid": own, "username": "boss"], auth: session)
                    == error(-32602, "User cannot change own username.")
            )
            // The same groups and name again change nothing and pass; so does anything else.
            #expect(
                try await h.result("user.update", ["userid": own, "usrgrps": [["usrgrpid": "8"]], "username": "worker"], auth: session) == [
                    "userids": [own]
                ]
            )
            #expect(try await h.result("user.update", ["userid": own, "name": "Wendy"], auth: session) == ["userids": [own]])
            let stored = try await h.result("user.get", ["userids": own, "output": ["username"], "selectUsrgrps": ["usrgrpid"]], auth: admin)
            #expect(stored == [["userid": own, "username": "worker", "usrgrps": [["usrgrpid": "8"]]]])
            // A Super admin still may.
            #expect(
                try await h.result("user.update", ["userid": "1", "usrgrps": [["usrgrpid": "7"], ["usrgrpid": "8"]]], auth: admin) == [
                    "userids": ["1"]
                ]
            )
        }
    }

    @Test(arguments: Engine.available)
    func changingOwnPasswordNeedsTheCurrentOneAndEndsOtherSessions(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let admin = try await h.login()
            let worker = try await h.user("worker", roleid: "1", auth: admin)
            let own: JSON = .string(worker)
            let first = try await h.login("worker", Self.password)
            let second = try await h.login("worker", Self.password)
            let newPassword = "An0ther-Passw0rd!"
            #expect(
                try await h.call("user.update", ["userid": own, "passwd": .string(newPassword)], auth: first)
                    == error(-32602, "Invalid parameter \"/1\": the parameter \"current_passwd\" is missing.")
            )
            #expect(
                try await h.call("user.update", ["userid": own, "passwd": .string(newPassword), "current_passwd": "wrong"], auth: first)
                    == error(-32602, "Incorrect current password.")
            )
            let token = try await h.token("mine", auth: first)
            #expect(
                try await h.call(
                    "user.update",
                    ["userid": own, "passwd": .string(newPassword), "current_passwd": .string(Self.password)],
                    bearer: token.value
                )
                    == error(-32602, "Not allowed to change own password when authenticated with an API token.")
            )
            // Nothing changed so far: both sessions live, the old password works.
            #expect(try await h.result("user.checkAuthentication", ["sessionid": .string(second)])["username"] == "worker")

            let changed = try await h.result(
                "user.update",
                ["userid": own, "passwd": .string(newPassword), "current_passwd": .string(Self.password)],
                auth: first
            )
            #expect(changed == ["userids": [own]])
            #expect(try await h.result("user.checkAuthentication", ["sessionid": .string(first)])["username"] == "worker")
            #expect(
                try await h.call("user.checkAuthentication", ["sessionid": .string(second)]) == error(-32602, "Session terminated, re-login, please.")
            )
            // The token is a credential of its own and keeps working.
            #expect(try await h.result("user.checkAuthentication", ["token": .string(token.value)])["username"] == "worker")

            // An admin's reset ends every session of that user.
            let third = try await h.login("worker", newPassword)
            _ = try await h.result("user.update", ["userid": own, "passwd": .string(Self.password)], auth: admin)
            for session in [first, third] {
                #expect(
                    try await h.call("user.checkAuthentication", ["sessionid": .string(session)])
                        == error(-32602, "Session terminated, re-login, please.")
                )
            }
            #expect(try await h.result("user.checkAuthentication", ["sessionid": .string(admin)])["username"] == "Admin")
        }
    }

    /// 40 guesses at once against the default limit of 5: at most 5 passwords are checked (the others
    /// find the account blocked), and the right password, sent after the burst, is refused while blocked.
    @Test(arguments: Engine.available)
    func parallelGuessesCheckNoMoreThanTheLimit(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let admin = try await h.login()
            let worker = try await h.user("worker", roleid: "1", auth: admin)
            await withTaskGroup(of: Void.self) { group in
                for index in 0..<40 {
                    group.addTask { _ = try? await h.call("user.login", ["username": "worker", "password": .string("guess-\(index)")]) }
                }
            }
            let user = try await h.result("user.get", ["userids": .string(worker), "output": ["attempt_failed"]], auth: admin)
            #expect(user == [["userid": .string(worker), "attempt_failed": "5"]])
            let audited = try await h.result(
                "auditlog.get",
                ["countOutput": true, "filter": ["resourcetype": 0, "action": 1, "resourceid": .string(worker)]],
                auth: admin
            )
            #expect(audited == "5", "one attempt_failed update per checked password")
            #expect(
                try await h.call("user.login", ["username": "worker", "password": .string(Self.password)])
                    == error(-32500, "Incorrect user name or password or account is temporarily blocked.")
            )
        }
    }

    @Test(arguments: Engine.available)
    func roleUsersAreOnlyTheCallerForOthersThanSuperAdmins(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let admin = try await h.login()
            _ = try await h.user("one", roleid: "2", auth: admin)
            let two = try await h.user("two", roleid: "2", auth: admin)
            let session = try await h.login("two", Self.password)
            let params: JSON = ["roleids": "2", "output": ["roleid"], "selectUsers": ["userid", "username"]]
            #expect(
                try await h.result("role.get", params, auth: session) == [["roleid": "2", "users": [["userid": .string(two), "username": "two"]]]]
            )
            let counted: JSON = ["roleids": "2", "output": ["roleid"], "selectUsers": "count"]
            #expect(try await h.result("role.get", counted, auth: session) == [["roleid": "2", "users": "1"]])
            #expect(try await h.result("role.get", counted, auth: admin) == [["roleid": "2", "users": "2"]])
        }
    }
}
