import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import Tessera

/// The HTTP side of the endpoint (token spec §4.1): content types, CORS, OPTIONS, the health check.
@Suite("HTTP")
struct HTTPTests {
    static let cors: [(HTTPField.Name, String)] = [
        (.accessControlAllowOrigin, "*"), (.accessControlAllowHeaders, "Content-Type, Authorization"),
        (.accessControlAllowMethods, "POST"), (.accessControlMaxAge, "1000"),
    ]

    func withApp(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await Harness.with(.sqlite) { (h: Harness) async throws in
            let app = try buildApplication(ServerConfig(), services: h.services, web: try await WebUI.load(), logger: Harness.logger)
            try await app.test(.router) { client in try await body(client) }
        }
    }

    @Test func contentTypes() async throws {
        try await withApp { client in
            let body = ByteBuffer(string: #"{"jsonrpc":"2.0","method":"apiinfo.version","params":[],"id":1}"#)
            for type in ["application/json-rpc", "application/json", "application/jsonrequest", "application/json; charset=utf-8"] {
                try await client.execute(uri: "/api_jsonrpc.php", method: .post, headers: [.contentType: type], body: body) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == "application/json")
                    #expect(String(buffer: response.body) == #"{"jsonrpc":"2.0","result":"7.0.0","id":1}"#)
                    for (name, value) in Self.cors { #expect(response.headers[name] == value) }
                }
            }
            for type in ["text/plain", "application/x-www-form-urlencoded", ""] {
                try await client.execute(uri: "/api_jsonrpc.php", method: .post, headers: type.isEmpty ? [:] : [.contentType: type], body: body) {
                    response in
                    #expect(response.status == .preconditionFailed)
                    #expect(response.body.readableBytes == 0)
                }
            }
        }
    }

    @Test func optionsAndHealth() async throws {
        try await withApp { client in
            try await client.execute(uri: "/api_jsonrpc.php", method: .options) { response in
                #expect(response.status == .ok)
                #expect(response.body.readableBytes == 0)
                for (name, value) in Self.cors { #expect(response.headers[name] == value) }
            }
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "ok")
            }
        }
    }

    @Test func bearerHeaderAndNotifications() async throws {
        try await withApp { client in
            let login = ByteBuffer(
                string: #"{"jsonrpc":"2.0","method":"user.login","params":{"username":"Admin","password":"\#(Harness.adminPassword)"},"id":1}"#
            )
            let session = try await client.execute(uri: "/api_jsonrpc.php", method: .post, headers: [.contentType: "application/json"], body: login) {
                response in
                try JSONParser.parse(String(buffer: response.body))["result"]!.stringValue!
            }
            let get = ByteBuffer(string: #"{"jsonrpc":"2.0","method":"token.get","params":{},"id":2}"#)
            try await client.execute(
                uri: "/api_jsonrpc.php",
                method: .post,
                headers: [.contentType: "application/json", .authorization: "Bearer \(session)"],
                body: get
            ) { response in
                #expect(String(buffer: response.body) == #"{"jsonrpc":"2.0","result":[],"id":2}"#)
            }
            let notification = ByteBuffer(string: #"{"jsonrpc":"2.0","method":"apiinfo.version","params":{}}"#)
            try await client.execute(uri: "/api_jsonrpc.php", method: .post, headers: [.contentType: "application/json"], body: notification) {
                response in
                #expect(response.status == .ok)
                #expect(response.body.readableBytes == 0)
            }
        }
    }
}
