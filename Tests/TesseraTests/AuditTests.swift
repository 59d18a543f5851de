import Testing

@testable import Tessera

/// Audit records (token spec §2.8, users spec §6) and what deleting a user does to tokens (§2.9).
@Suite("audit log and user deletion")
struct AuditTests {
    static let fields: JSON = [
        "output": ["userid", "action", "resourcetype", "resourceid", "resourcename", "recordsetid", "details"],
        "filter": ["resourcetype": 45], "sortfield": ["clock", "auditid"],
    ]

    @Test(arguments: Engine.available)
    func tokenRecords(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let s = try await h.login()
            // One HTTP request, two calls: one record set.
            let batch =
                #"[{"jsonrpc":"2.0","method":"token.create","params":{"name":"t","description":"d","status":"1","expires_at":5},"auth":"\#(s)","id":1},"#
                + #"{"jsonrpc":"2.0","method":"token.generate","params":["1"],"auth":"\#(s)","id":2}]"#
            let reply = try JSONParser.parse(await h.raw(batch)!)
            let value = reply.arrayValue![1]["result"]!.arrayValue![0]["token"]!.stringValue!
            _ = try await h.result("token.update", ["tokenid": "1", "name": "t2", "status": 0, "description": "d"], auth: s)
            _ = try await h.result("token.update", ["tokenid": "1", "name": "t2"], auth: s)  // no change, no record
            _ = try await h.result("token.delete", ["1"], auth: s)
            let records = try await h.result("auditlog.get", Self.fields, auth: s).arrayValue!
            #expect(records.map { $0["action"]! } == ["0", "1", "1", "2"])
            #expect(records.map { $0["resourcename"]! } == ["t", "t", "t", "t2"])
            #expect(
                records[0]["details"]
                    == #"{"token.name":["add","t"],"token.description":["add","d"],"token.status":["add","1"],"token.expires_at":["add","5"],"token.userid":["add","1"],"token.tokenid":["add","1"]}"#
            )
            #expect(records[1]["details"] == #"{"token.token":["update","******","******"]}"#)
            #expect(records[2]["details"] == #"{"token.name":["update","t2","t"],"token.status":["update","0","1"]}"#)
            #expect(records[3]["details"] == "")
            #expect(records[0]["recordsetid"] == records[1]["recordsetid"])
            #expect(records[1]["recordsetid"] != records[2]["recordsetid"])
            #expect(records.allSatisfy { $0["resourceid"] == "1" })
            let all = try await h.database.read { db in try await db.raw("SELECT details FROM auditlog").all() }
            for row in all { #expect(!(try row.decode(column: "details", as: String.self)).contains(value)) }
        }
    }

    /// `role.update` records a changed name and type as Zabbix 6.0.14 does (asked of it): the role under
    /// its old name, the new type as a number; rules alone, or the same values again, record nothing.
    @Test(arguments: Engine.available)
    func roleUpdateRecords(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let s = try await h.login()
            let created = try await h.result("role.create", ["name": "probe", "type": 1, "rules": ["api.access": 1]], auth: s)
            let id = try #require(created["roleids"]?.arrayValue?.first?.stringValue)
            _ = try await h.result("role.update", ["roleid": .string(id), "name": "probe-2", "type": 2], auth: s)
            _ = try await h.result("role.update", ["roleid": .string(id), "type": "3", "name": "probe-2"], auth: s)
            _ = try await h.result("role.update", ["roleid": .string(id), "rules": ["api.access": 0]], auth: s)
            let records = try await h.result(
                "auditlog.get",
                [
                    "output": ["action", "resourcetype", "resourceid", "resourcename", "details"], "filter": ["resourcetype": 44],
                    "sortfield": ["clock", "auditid"],
                ],
                auth: s
            )
            #expect(
                records == [
                    ["action": "0", "resourcetype": "44", "resourceid": .string(id), "resourcename": "probe", "details": ""],
                    [
                        "action": "1", "resourcetype": "44", "resourceid": .string(id), "resourcename": "probe",
                        "details": #"{"role.name":["update","probe-2","probe"],"role.type":["update",2,"1"]}"#,
                    ],
                    [
                        "action": "1", "resourcetype": "44", "resourceid": .string(id), "resourcename": "probe-2",
                        "details": #"{"role.type":["update",3,"2"]}"#,
                    ],
                ]
            )
        }
    }

    /// `user.unblock` records the failure count going back to 0 for a blocked user, nothing for one that
    /// is not (each failed sign-in before it is recorded as the user's own update, as in Zabbix).
    @Test(arguments: Engine.available)
    func unblockRecords(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let s = try await h.login()
            let created = try await h.result(
                "user.create",
                ["username": "ubprobe", "passwd": "Quartz-lamp-991", "roleid": "1", "usrgrps": [["usrgrpid": "7"]]],
                auth: s
            )
            let id = try #require(created["userids"]?.arrayValue?.first?.stringValue)
            for _ in 0..<6 { _ = try await h.call("user.login", ["username": "ubprobe", "password": "wrong"]) }
            let failures = try await h.result("auditlog.get", ["countOutput": true, "filter": ["action": 1, "resourceid": .string(id)]], auth: s)
            #expect(failures == "5")
            _ = try await h.result("user.unblock", [.string(id)], auth: s)
            _ = try await h.result("user.unblock", [.string(id)], auth: s)
            let records = try await h.result(
                "auditlog.get",
                [
                    "output": ["action", "resourcetype", "resourceid", "resourcename", "details"],
                    "filter": ["action": 1, "resourcetype": 0, "userid": 1], "sortfield": ["clock", "auditid"],
                ],
                auth: s
            )
            #expect(
                records == [
                    [
                        "action": "1", "resourcetype": "0", "resourceid": .string(id), "resourcename": "ubprobe",
                        "details": #"{"user.attempt_failed":["update","0","5"]}"#,
                    ]
                ]
            )
        }
    }

    /// A failed login records the name as typed (up to 255 characters) in a 100-character column.
    @Test(arguments: Engine.available)
    func longUnknownUsername(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let name = String(repeating: "9", count: 101)
            #expect(
                try await h.call("user.login", ["username": .string(name), "password": "x"])
                    == error(-32602, "Incorrect user name or password or account is temporarily blocked.")
            )
            let s = try await h.login()
            let records = try await h.result(
                "auditlog.get",
                ["output": ["username"], "filter": ["action": 9], "sortfield": "clock"],
                auth: s
            ).arrayValue!
            #expect(records.map { $0["username"] } == [.string(String(name.prefix(100)))])
        }
    }

    @Test(arguments: Engine.available)
    func switchedOff(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let s = try await h.login()
            try await h.database.transaction { db in try await db.raw("UPDATE settings SET value = '0' WHERE name = 'auditlog_enabled'").run() }
            _ = try await h.token("quiet", auth: s)
            #expect(try await h.result("auditlog.get", ["countOutput": true, "filter": ["resourcetype": 45]], auth: s) == "0")
        }
    }

    @Test(arguments: Engine.available)
    func deletingAUser(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let s = try await h.login()
            // A second Super admin creates a token for Admin and one of its own, then is deleted.
            let userid = try await h.user("boss", roleid: "3", auth: s)
            let boss = try await h.login("boss", "Str0ng-Passw0rd!")
            _ = try await h.result("token.create", [["name": "for-admin", "userid": "1"], ["name": "own"]], auth: boss)
            let own = try await h.result("token.generate", ["2"], auth: boss).arrayValue![0]["token"]!.stringValue!
            #expect(try await h.call("user.delete", [.string(userid)], auth: s) == success(["userids": .array([.string(userid)])]))
            #expect(
                try await h.result("token.get", ["output": ["name", "creator_userid"]], auth: s) == [["name": "for-admin", "creator_userid": "0"]]
            )
            #expect(try await h.result("token.get", ["output": ["name"], "filter": ["creator_userid": 0]], auth: s) == [["name": "for-admin"]])
            #expect(try await h.call("token.get", [:], auth: own) == error(-32602, "Not authorized."))
            #expect(try await h.call("token.get", [:], auth: boss) == error(-32602, "Session terminated, re-login, please."))
            let deleted = try await h.result("auditlog.get", ["output": ["resourcename"], "filter": ["action": 2, "resourcetype": 45]], auth: s)
            #expect(deleted == [["resourcename": "own"]])
            #expect(try await h.call("user.delete", ["1"], auth: s) == error(-32602, "User is not allowed to delete himself."))
            #expect(
                try await h.call("user.delete", ["2"], auth: s)
                    == error(-32602, #"Cannot delete Zabbix internal user "guest", try disabling that user."#)
            )
        }
    }

    @Test(arguments: Engine.available)
    func lastSuperAdminStays(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let s = try await h.login()
            let other = try await h.user("other", roleid: "3", auth: s)
            let o = try await h.login("other", "Str0ng-Passw0rd!")
            // Admin may lose the role while "other" keeps it; then "other" is the last one.
            _ = try await h.result("user.update", ["userid": "1", "roleid": "2"], auth: o)
            #expect(
                try await h.call("user.update", ["userid": .string(other), "roleid": "2"], auth: s)
                    == error(-32500, "No permissions to referred object or it does not exist!")
            )
            // The last holder check comes before the check of one's own role (users spec §3.3).
            let last = error(-32602, #"At least one active user must exist with role "Super admin role"."#)
            #expect(try await h.call("user.update", ["userid": .string(other), "roleid": "1"], auth: o) == last)
            _ = try await h.result("user.update", ["userid": "1", "roleid": "3"], auth: o)
            #expect(
                try await h.call("user.update", ["userid": .string(other), "roleid": "1"], auth: o) == error(-32602, "User cannot change own role.")
            )
            #expect(
                try await h.call("user.update", ["userid": .string(other), "roleid": "1"], auth: s) == success(["userids": .array([.string(other)])])
            )
            #expect(try await h.call("user.update", ["userid": "1", "roleid": "1"], auth: s) == last)
            #expect(try await h.call("user.delete", ["1"], auth: s) == error(-32602, "User is not allowed to delete himself."))
        }
    }
}
