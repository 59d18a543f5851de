import Testing

@testable import Tessera

/// `settings.update` and `authentication.update`: Zabbix 6.0.14's checks and texts (asked of the
/// peer), the answer, the audit record, and the change taking effect.
@Suite("settings.update and authentication.update")
struct SettingsUpdateTests {
    @Test(arguments: Engine.available)
    func refusalsAsZabbixWordsThem(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let s = try await h.login()
            let cases: [(String, JSON, String)] = [
                ("settings", ["login_attempts": 0], #"Invalid parameter "/login_attempts": value must be one of 1-32."#),
                ("settings", ["login_attempts": 33], #"Invalid parameter "/login_attempts": value must be one of 1-32."#),
                ("settings", ["login_attempts": "abc"], #"Invalid parameter "/login_attempts": an integer is expected."#),
                ("settings", ["login_block": "10s"], #"Invalid parameter "/login_block": value must be one of 30-3600."#),
                ("settings", ["login_block": "2h"], #"Invalid parameter "/login_block": value must be one of 30-3600."#),
                ("settings", ["login_block": "abc"], #"Invalid parameter "/login_block": a time unit is expected."#),
                ("settings", ["search_limit": 1_000_000], #"Invalid parameter "/search_limit": value must be one of 1-999999."#),
                ("settings", ["auditlog_enabled": 2], #"Invalid parameter "/auditlog_enabled": value must be one of 0, 1."#),
                ("settings", ["zzz": 1, "login_attempts": 0], #"Invalid parameter "/": unexpected parameter "zzz"."#),
                // The rule's order, not the caller's: search_limit is checked before login_attempts.
                ("settings", ["login_attempts": 0, "search_limit": 0], #"Invalid parameter "/search_limit": value must be one of 1-999999."#),
                ("authentication", ["passwd_min_length": 0], #"Invalid parameter "/passwd_min_length": value must be one of 1-70."#),
                ("authentication", ["passwd_min_length": "x"], #"Invalid parameter "/passwd_min_length": an integer is expected."#),
                ("authentication", ["passwd_check_rules": 16], #"Invalid parameter "/passwd_check_rules": value must be one of 0-15."#),
                ("authentication", ["ldap_case_sensitive": 3], #"Invalid parameter "/ldap_case_sensitive": value must be one of 0, 1."#),
                ("authentication", ["login_attempts": 3], #"Invalid parameter "/": unexpected parameter "login_attempts"."#),
                // Tessera has internal authentication only.
                ("authentication", ["authentication_type": 1], #"Invalid parameter "/authentication_type": value must be one of 0."#),
            ]
            for (api, params, message) in cases {
                #expect(try await h.call("\(api).update", params, auth: s) == error(-32602, message), "\(api) \(params)")
            }
            #expect(
                try await h.result("settings.get", ["output": ["login_attempts", "search_limit"]], auth: s) == [
                    "search_limit": "1000", "login_attempts": "5",
                ]
            )
            #expect(try await h.result("auditlog.get", ["countOutput": true, "filter": ["resourcetype": [40, 42]]], auth: s) == "0")
        }
    }

    @Test(arguments: Engine.available)
    func changesAreStoredAuditedAndUsed(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let s = try await h.login()
            #expect(try await h.result("settings.update", ["login_attempts": 2, "login_block": "1m"], auth: s) == ["login_attempts", "login_block"])
            #expect(try await h.result("settings.update", ["login_attempts": "2"], auth: s) == ["login_attempts"])  // no change: no record
            #expect(try await h.result("settings.update", [], auth: s) == [])
            #expect(
                try await h.result("authentication.update", ["passwd_check_rules": 3, "passwd_min_length": 10], auth: s)
                    == ["passwd_check_rules", "passwd_min_length"]
            )
            #expect(
                try await h.result("settings.get", ["output": ["login_attempts", "login_block"]], auth: s) == [
                    "login_attempts": "2", "login_block": "1m",
                ]
            )
            #expect(
                try await h.result("authentication.get", ["output": ["passwd_min_length", "passwd_check_rules"]], auth: s)
                    == ["passwd_min_length": "10", "passwd_check_rules": "3"]
            )
            let records = try await h.result(
                "auditlog.get",
                [
                    "output": ["action", "resourcetype", "resourceid", "resourcename", "details"], "filter": ["resourcetype": [40, 42]],
                    "sortfield": ["clock", "auditid"],
                ],
                auth: s
            )
            #expect(
                records == [
                    [
                        "action": "1", "resourcetype": "40", "resourceid": "1", "resourcename": "",
                        "details": #"{"settings.login_attempts":["update","2","5"],"settings.login_block":["update","1m","30s"]}"#,
                    ],
                    [
                        "action": "1", "resourcetype": "42", "resourceid": "1", "resourcename": "",
                        "details":
                            #"{"authentication.passwd_check_rules":["update","3","8"],"authentication.passwd_min_length":["update","10","8"]}"#,
                    ],
                ]
            )

            // In effect at once: the new policy refuses a short password, two failures block.
            #expect(
                try await h.call("user.create", ["username": "short", "passwd": "Abc12345x", "roleid": "1", "usrgrps": [["usrgrpid": "7"]]], auth: s)
                    == error(-32602, #"Incorrect value for field "/1/passwd": must be at least 10 characters long."#)
            )
            for _ in 0..<2 { _ = try await h.call("user.login", ["username": "Admin", "password": "wrong"]) }
            #expect(
                try await h.call("user.login", ["username": "Admin", "password": .string(Harness.adminPassword)])
                    == error(-32500, "Incorrect user name or password or account is temporarily blocked.")
            )
        }
    }

    @Test(arguments: Engine.available)
    func onlyASuperAdminMayChangeThem(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let s = try await h.login()
            _ = try await h.result(
                "user.create",
                ["username": "admin-type", "passwd": "Quartz-lamp-991", "roleid": "2", "usrgrps": [["usrgrpid": "7"]]],
                auth: s
            )
            let admin = try await h.login("admin-type", "Quartz-lamp-991")
            #expect(
                try await h.call("settings.update", ["login_attempts": 9], auth: admin)
                    == error(-32602, #"No permissions to call "settings.update"."#)
            )
            #expect(
                try await h.call("authentication.update", ["passwd_min_length": 9], auth: admin)
                    == error(-32602, #"No permissions to call "authentication.update"."#)
            )
        }
    }
}
