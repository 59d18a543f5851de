import Testing

@testable import Tessera

/// `token.*` as a Super admin (token spec §2): results, validation messages in order, all-or-nothing.
@Suite("token API")
struct TokenAPITests {
    @Test(arguments: Engine.available)
    func createValidation(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let s = try await h.login()
            func check(_ params: JSON, _ data: String, code: Int = -32602) async throws {
                #expect(try await h.call("token.create", params, auth: s) == error(code, data), "\(params.encoded())")
            }
            try await check([:], #"Invalid parameter "/": cannot be empty."#)
            try await check([], #"Invalid parameter "/": cannot be empty."#)
            try await check(["name": "a", "foo": 1], #"Invalid parameter "/1": unexpected parameter "foo"."#)
            try await check(["token": "x"], #"Invalid parameter "/1": unexpected parameter "token"."#)
            try await check(["description": "x"], #"Invalid parameter "/1": the parameter "name" is missing."#)
            try await check(["name": ""], #"Invalid parameter "/1/name": cannot be empty."#)
            try await check(["name": .string(String(repeating: "x", count: 65))], #"Invalid parameter "/1/name": value is too long."#)
            try await check(["name": 5], #"Invalid parameter "/1/name": a character string is expected."#)
            try await check(["name": nil], #"Invalid parameter "/1/name": a character string is expected."#)
            try await check(["name": "a", "description": nil], #"Invalid parameter "/1/description": a character string is expected."#)
            try await check(["name": "a", "userid": "abc"], #"Invalid parameter "/1/userid": a number is expected."#)
            try await check(["name": "a", "userid": -1], #"Invalid parameter "/1/userid": a number is expected."#)
            try await check(["name": "a", "userid": "9223372036854775808"], #"Invalid parameter "/1/userid": a number is too large."#)
            try await check(["name": "a", "status": 2], #"Invalid parameter "/1/status": value must be one of 0, 1."#)
            try await check(["name": "a", "expires_at": 1.5], #"Invalid parameter "/1/expires_at": an integer is expected."#)
            try await check(["name": "a", "expires_at": "x"], #"Invalid parameter "/1/expires_at": an integer is expected."#)
            try await check(["name": "a", "expires_at": 2_147_483_648], #"Invalid parameter "/1/expires_at": a number is too large."#)
            try await check([["name": "dup"], ["name": "dup"]], #"Invalid parameter "/2": value (userid, name)=(1, dup) already exists."#)
            try await check([["name": "ok"], "x"], #"Invalid parameter "/2": an array is expected."#)
            try await check(["name": "a", "userid": "999"], #"User with ID "999" is not available."#)
            // Nothing was written by any of these.
            #expect(try await h.result("token.get", ["countOutput": true], auth: s) == "0")
        }
    }

    @Test(arguments: Engine.available)
    func createAndGet(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let s = try await h.login()
            let now = h.clock.now
            #expect(
                try await h.call(
                    "token.create",
                    [["name": "é", "status": "1", "expires_at": "-5"], ["name": .string(String(repeating: "é", count: 64)), "userid": "0002"]],
                    auth: s
                )
                    == success(["tokenids": ["1", "2"]])
            )
            #expect(try await h.call("token.create", ["name": "é"], auth: s) == error(-32602, #"API token "é" already exists for userid "1"."#))
            let all = try await h.result("token.get", ["output": "extend", "sortfield": "tokenid"], auth: s)
            #expect(
                all == [
                    [
                        "tokenid": "1", "name": "é", "description": "", "userid": "1", "lastaccess": "0", "status": "1", "expires_at": "-5",
                        "created_at": .string(String(now)), "creator_userid": "1",
                    ],
                    [
                        "tokenid": "2", "name": .string(String(repeating: "é", count: 64)), "description": "", "userid": "2", "lastaccess": "0",
                        "status": "0",
                        "expires_at": "0", "created_at": .string(String(now)), "creator_userid": "1",
                    ],
                ]
            )
        }
    }

    @Test(arguments: Engine.available)
    func getParameters(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let s = try await h.login()
            let now = h.clock.now
            _ = try await h.result(
                "token.create",
                [
                    ["name": "alpha", "description": "First one", "expires_at": .int(now + 100)],
                    ["name": "beta_x", "status": 1, "expires_at": .int(now - 10)],
                    ["name": "Gamma%", "userid": "2"],
                ],
                auth: s
            )
            func get(_ params: JSON) async throws -> JSON { try await h.result("token.get", params, auth: s) }
            func names(_ params: JSON) async throws -> [String] {
                var p = params.objectValue ?? [:]
                p["output"] = ["name"]
                return try await get(.object(p)).arrayValue!.map { $0["name"]!.stringValue! }
            }
            #expect(try await names(["tokenids": "2"]) == ["beta_x"])
            #expect(try await names(["tokenids": ["1", 3]]) == ["alpha", "Gamma%"])
            #expect(try await names(["userids": "2"]) == ["Gamma%"])
            #expect(try await names(["valid_at": .int(now)]) == ["alpha", "Gamma%"])
            #expect(try await names(["expired_at": .int(now)]) == ["beta_x"])
            #expect(try await names(["filter": ["status": 1]]) == ["beta_x"])
            #expect(try await names(["filter": ["status": ""]]) == [])
            #expect(try await names(["filter": ["status": nil, "name": ["alpha", "beta_x"]]]) == ["alpha", "beta_x"])
            #expect(try await names(["filter": ["name": "alpha", "userid": "2"], "searchByAny": true]) == ["alpha", "Gamma%"])
            #expect(try await names(["search": ["name": "A"]]) == ["alpha", "beta_x", "Gamma%"])
            #expect(try await names(["search": ["name": "%"]]) == ["Gamma%"])
            #expect(try await names(["search": ["name": "_"]]) == ["beta_x"])
            #expect(try await names(["search": ["name": "al"], "startSearch": true]) == ["alpha"])
            #expect(try await names(["search": ["name": "*ta*"], "searchWildcardsEnabled": true]) == ["beta_x"])
            #expect(try await names(["search": ["name": "ta"], "searchWildcardsEnabled": true]) == [])
            #expect(try await names(["search": ["description": "first"]]) == ["alpha"])
            #expect(try await names(["search": ["name": "zz", "description": "first"], "searchByAny": true]) == ["alpha"])
            #expect(try await names(["sortfield": "name", "sortorder": "DESC"]) == ["beta_x", "alpha", "Gamma%"])
            #expect(try await names(["sortfield": ["status", "tokenid"], "sortorder": ["DESC", "DESC"]]) == ["beta_x", "Gamma%", "alpha"])
            #expect(try await names(["sortfield": "tokenid", "limit": 2]) == ["alpha", "beta_x"])
            #expect(try await get(["countOutput": true, "filter": ["status": 0]]) == "2")
            #expect(try await get(["output": ["userid"], "preservekeys": true, "tokenids": "3"]) == ["3": ["userid": "2"]])
            #expect(try await get(["output": [], "tokenids": "3"]).encoded() == "[[]]")
            #expect(try await get(["tokenids": "99", "preservekeys": true]) == [])
            #expect(try await get(["token": .string(String(repeating: "a", count: 64))]) == [])
        }
    }

    @Test(arguments: Engine.available)
    func getValidation(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let s = try await h.login()
            func check(_ params: JSON, _ data: String) async throws {
                #expect(try await h.call("token.get", params, auth: s) == error(-32602, data), "\(params.encoded())")
            }
            try await check(["foo": 1], #"Invalid parameter "/": unexpected parameter "foo"."#)
            try await check(
                ["output": ["token"]],
                #"Invalid parameter "/output/1": value must be one of "tokenid", "name", "description", "userid", "lastaccess", "status", "expires_at", "created_at", "creator_userid"."#
            )
            try await check(["output": "count"], #"Invalid parameter "/output": value must be "extend"."#)
            try await check(
                ["sortfield": "description"],
                #"Invalid parameter "/sortfield/1": value must be one of "tokenid", "name", "lastaccess", "status", "expires_at", "created_at"."#
            )
            try await check(["sortorder": "UP"], #"Invalid parameter "/sortorder": value must be one of "ASC", "DESC"."#)
            try await check(["limit": 0], #"Invalid parameter "/limit": value must be one of 1-2147483647."#)
            try await check(["tokenids": ["x"]], #"Invalid parameter "/tokenids/1": a number is expected."#)
            try await check(["valid_at": "soon"], #"Invalid parameter "/valid_at": an integer is expected."#)
            try await check(["token": .string(String(repeating: "a", count: 65))], #"Invalid parameter "/token": value is too long."#)
            try await check(["filter": ["description": "x"]], #"Invalid parameter "/filter": unexpected parameter "description"."#)
            try await check(["search": ["userid": "x"]], #"Invalid parameter "/search": unexpected parameter "userid"."#)
        }
    }

    @Test(arguments: Engine.available)
    func update(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let s = try await h.login()
            _ = try await h.result("token.create", [["name": "a"], ["name": "b"], ["name": "a", "userid": "2"]], auth: s)
            func check(_ params: JSON, _ data: String, code: Int = -32602) async throws {
                #expect(try await h.call("token.update", params, auth: s) == error(code, data), "\(params.encoded())")
            }
            try await check([:], #"Invalid parameter "/": cannot be empty."#)
            try await check(["name": "x"], #"Invalid parameter "/1": the parameter "tokenid" is missing."#)
            try await check(["tokenid": "1", "userid": "2"], #"Invalid parameter "/1": unexpected parameter "userid"."#)
            try await check([["tokenid": "1"], ["tokenid": 1]], #"Invalid parameter "/2": value (tokenid)=(1) already exists."#)
            try await check(["tokenid": "99"], "No permissions to referred object or it does not exist!", code: -32500)
            try await check(
                [["tokenid": "1", "name": "same"], ["tokenid": "2", "name": "same"]],
                #"Invalid parameter "/2": value (userid, name)=(1, same) already exists."#
            )
            try await check(["tokenid": "1", "name": "b"], #"API token "b" already exists for userid "1"."#)
            // Swapping two names fails: the check sees the rows being renamed and names the first one (as Zabbix).
            try await check([["tokenid": "1", "name": "b"], ["tokenid": "2", "name": "a"]], #"API token "a" already exists for userid "1"."#)
            #expect(
                try await h.call("token.update", [["tokenid": "1", "name": "a2", "status": "1"], ["tokenid": "3", "name": "b"]], auth: s)
                    == success(["tokenids": ["1", "3"]])
            )
            #expect(
                try await h.result("token.get", ["output": ["name", "status"], "sortfield": "tokenid"], auth: s)
                    == [["name": "a2", "status": "1"], ["name": "b", "status": "0"], ["name": "b", "status": "0"]]
            )
        }
    }

    @Test(arguments: Engine.available)
    func deleteAndGenerate(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let s = try await h.login()
            _ = try await h.result("token.create", [["name": "a"], ["name": "b"]], auth: s)
            for method in ["token.delete", "token.generate"] {
                #expect(try await h.call(method, [], auth: s) == error(-32602, #"Invalid parameter "/": cannot be empty."#))
                #expect(try await h.call(method, ["tokenids": ["1"]], auth: s) == error(-32602, #"Invalid parameter "/1": a number is expected."#))
                #expect(try await h.call(method, ["1", "1"], auth: s) == error(-32602, #"Invalid parameter "/2": value (1) already exists."#))
                #expect(try await h.call(method, ["1", "99"], auth: s) == error(-32500, "No permissions to referred object or it does not exist!"))
            }
            let generated = try await h.result("token.generate", ["2", "1"], auth: s).arrayValue!
            #expect(generated.map { $0["tokenid"]! } == ["2", "1"])
            for item in generated {
                let value = item["token"]!.stringValue!
                #expect(value.count == 64 && value.allSatisfy { "0123456789abcdef".contains($0) })
                #expect(
                    try await h.result("token.get", ["token": .string(value), "output": ["tokenid"]], auth: s) == [["tokenid": item["tokenid"]!]]
                )
            }
            #expect(try await h.call("token.delete", ["1", "2"], auth: s) == success(["tokenids": ["1", "2"]]))
            #expect(try await h.result("token.get", ["countOutput": true], auth: s) == "0")
        }
    }

    @Test(arguments: Engine.available)
    func hashIsStoredNeverThePlaintext(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let s = try await h.login()
            let (_, value) = try await h.token("t", auth: s)
            let stored = try await h.database.read { db in
                try await db.raw("SELECT token FROM token").first()!.decode(column: "token", as: String.self)
            }
            #expect(stored == Secrets.tokenHash(value))
            #expect(stored.count == 128)
            // SHA-512 as Zabbix stores it (the value from Python's hashlib).
            #expect(
                Secrets.tokenHash(String(repeating: "0123456789abcdef", count: 4))
                    == "ad2981aa58beca63a49b8831274b89d81766a23d7932474f03e55cf00cbe27004e66fd0912aed0b3cb1afee2aa904115c89db49d6c9bad785523023a9c309561"
            )
            let audit = try await h.database.read { db in
                try await db.raw("SELECT details FROM auditlog").all().map { try $0.decode(column: "details", as: String.self) }
            }
            #expect(!audit.contains { $0.contains(value) })
        }
    }

    /// A search longer than SQLite's LIKE pattern limit (50,000 bytes) still answers, and still finds.
    @Test(arguments: Engine.available)
    func searchLongerThanSQLiteLikeLimit(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let s = try await h.login()
            let long = String(repeating: "ab", count: 30_000)
            let t = try await h.token("long", auth: s, extra: ["description": .string("x" + long + "y")])
            let found = try await h.result(
                "token.get",
                ["output": ["tokenid"], "search": ["description": .string(long.uppercased())]],
                auth: s
            )
            #expect(found == [["tokenid": .string(t.id)]])
            let none = try await h.result("token.get", ["output": ["tokenid"], "search": ["name": .string(long)]], auth: s)
            #expect(none == [])
            let wild = try await h.result(
                "token.get",
                ["output": ["tokenid"], "search": ["description": .string("*" + long + "*")], "searchWildcardsEnabled": true],
                auth: s
            )
            #expect(wild == (engine == .sqlite ? [] : [["tokenid": .string(t.id)]]))
        }
    }

    /// PostgreSQL cannot take a NUL in text: it is refused as a parameter where text is stored or
    /// compared by the validator, and finds nothing in searches and filters — alike on both engines.
    @Test(arguments: Engine.available)
    func nulCharacters(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let s = try await h.login()
            #expect(
                try await h.call("token.create", ["name": "a\u{0}b"], auth: s)
                    == error(-32602, #"Invalid parameter "/1/name": the NUL character is not allowed."#)
            )
            #expect(
                try await h.call("user.login", ["username": "Admin\u{0}", "password": "x"])
                    == error(-32602, #"Invalid parameter "/username": the NUL character is not allowed."#)
            )
            _ = try await h.token("nul", auth: s)
            #expect(try await h.result("token.get", ["output": ["tokenid"], "search": ["name": "nu\u{0}"]], auth: s) == [])
            #expect(try await h.result("token.get", ["output": ["tokenid"], "filter": ["name": "nul\u{0}"]], auth: s) == [])
        }
    }
}
