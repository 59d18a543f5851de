import Testing

@testable import Tessera

/// The JSON-RPC layer (token spec §4): parse errors, envelope validation order, ids, notifications, batches.
@Suite("JSON-RPC envelope")
struct EnvelopeTests {
    static let parseError =
        #"{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error","data":"Invalid JSON. An error occurred on the server while parsing the JSON text."},"id":null}"#
    static let invalidRequest =
        #"{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid request.","data":"The received JSON is not a valid JSON-RPC request."},"id":null}"#

    @Test(arguments: Engine.available)
    func parseAndShapeErrors(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            #expect(await h.raw("") == Self.parseError)
            #expect(await h.raw("{\"jsonrpc\":") == Self.parseError)
            #expect(await h.raw("[]") == Self.invalidRequest)
            #expect(await h.raw("{}") == Self.invalidRequest)
            #expect(await h.raw("5") == Self.invalidRequest)
            #expect(await h.raw("\"x\"") == Self.invalidRequest)
        }
    }

    @Test(arguments: Engine.available)
    func envelopeMessagesInOrder(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            func check(_ body: String, _ data: String, id: JSON = .null) async throws {
                let response = try JSONParser.parse(await h.raw(body) ?? "")
                #expect(response == error(-32600, data, id: id), "\(body)")
            }
            try await check(
                #"{"jsonrpc":"2.0","method":"a.b","params":{},"id":1,"foo":1}"#,
                #"Invalid parameter "/": unexpected parameter "foo"."#,
                id: 1
            )
            try await check(#"{"method":"a.b","foo":1}"#, #"Invalid parameter "/": unexpected parameter "foo"."#)
            try await check(#"{"method":"a.b","params":{},"id":7}"#, #"Invalid parameter "/": the parameter "jsonrpc" is missing."#, id: 7)
            try await check(#"{"jsonrpc":"1.0","method":"a.b","params":{},"id":1}"#, #"Invalid parameter "/jsonrpc": value must be "2.0"."#, id: 1)
            try await check(
                #"{"jsonrpc":2,"method":"a.b","params":{},"id":1}"#,
                #"Invalid parameter "/jsonrpc": a character string is expected."#,
                id: 1
            )
            try await check(#"{"jsonrpc":"2.0","params":{},"id":1}"#, #"Invalid parameter "/": the parameter "method" is missing."#, id: 1)
            try await check(#"{"jsonrpc":"2.0","method":"a.b","id":1}"#, #"Invalid parameter "/": the parameter "params" is missing."#, id: 1)
            try await check(
                #"{"jsonrpc":"2.0","method":"a.b","params":"x","id":1}"#,
                #"Invalid parameter "/params": an array or object is expected."#,
                id: 1
            )
            try await check(
                #"{"jsonrpc":"2.0","method":"a.b","params":null,"id":1}"#,
                #"Invalid parameter "/params": an array or object is expected."#,
                id: 1
            )
            try await check(#"{"jsonrpc":"2.0","method":"a.b","params":{},"auth":"","id":1}"#, #"Invalid parameter "/auth": cannot be empty."#, id: 1)
            try await check(
                #"{"jsonrpc":"2.0","method":"a.b","params":{},"auth":5,"id":1}"#,
                #"Invalid parameter "/auth": a character string is expected."#,
                id: 1
            )
            try await check(
                #"{"jsonrpc":"2.0","method":"a.b","params":{},"id":[1]}"#,
                #"Invalid parameter "/id": a string, number or null value is expected."#
            )
            // Envelope errors are answered even without an id.
            try await check(#"{"jsonrpc":"2.0","method":"a.b"}"#, #"Invalid parameter "/": the parameter "params" is missing."#)
        }
    }

    @Test(arguments: Engine.available)
    func idsAreEchoedExactly(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            for id in [#""abc""#, "1.5", "-3", "null", "0", "12345678901234567890"] {
                let body = #"{"jsonrpc":"2.0","method":"apiinfo.version","params":[],"id":"# + id + "}"
                #expect(await h.raw(body) == #"{"jsonrpc":"2.0","result":"7.0.0","id":"# + id + "}")
            }
        }
    }

    @Test(arguments: Engine.available)
    func notificationsGetNoAnswer(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            #expect(await h.raw(#"{"jsonrpc":"2.0","method":"apiinfo.version","params":{}}"#) == nil)
            #expect(await h.raw(#"{"jsonrpc":"2.0","method":"foo.bar","params":{}}"#) == nil)
            #expect(await h.raw(#"[{"jsonrpc":"2.0","method":"apiinfo.version","params":{}}]"#) == nil)
        }
    }

    @Test(arguments: Engine.available)
    func batches(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            let body =
                #"[{"jsonrpc":"2.0","method":"apiinfo.version","params":{},"id":1},{"jsonrpc":"2.0","method":"apiinfo.version","params":{}},5,{"jsonrpc":"2.0","method":"Token.Foo","params":{},"id":"x"}]"#
            #expect(
                await h.raw(body)
                    == #"[{"jsonrpc":"2.0","result":"7.0.0","id":1},{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid request.","data":"Invalid parameter \"/\": an array is expected."},"id":null},{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found.","data":"Incorrect method \"Token.Foo\"."},"id":"x"}]"#
            )
        }
    }

    @Test(arguments: Engine.available)
    func methodLookup(_ engine: Engine) async throws {
        try await Harness.with(engine) { (h: Harness) async throws in
            #expect(try await h.call("foo.get") == error(-32601, #"Incorrect API "foo"."#))
            #expect(try await h.call("token") == error(-32601, #"Incorrect method "token."."#))
            #expect(try await h.call("token.foo") == error(-32601, #"Incorrect method "token.foo"."#))
            #expect(try await h.call("settings.getGlobal") == error(-32601, #"Incorrect method "settings.getGlobal"."#))
            // Existence is checked before authentication; names are case-insensitive.
            #expect(try await h.call("TOKEN.GET") == error(-32602, "Not authorized."))
            #expect(try await h.call("ApiInfo.Version") == success("7.0.0"))
        }
    }

    @Test(arguments: Engine.available)
    func apiinfoVersion(_ engine: Engine) async throws {
        try await Harness.with(engine, apiVersion: "6.0.14") { (h: Harness) async throws in
            #expect(try await h.call("apiinfo.version", []) == success("6.0.14"))
            #expect(try await h.call("apiinfo.version", ["x": 1]) == error(-32602, #"Invalid parameter "/": should be empty."#))
            #expect(
                try await h.call("apiinfo.version", [:], auth: "abc")
                    == error(-32602, #"The "apiinfo.version" method must be called without the "auth" parameter."#)
            )
        }
    }
}
