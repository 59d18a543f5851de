import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import Tessera

/// A browser signed in to the web UI through the router: its session cookie and the CSRF token its forms carry.
struct Browser {
    let client: any TestClientProtocol
    let session: String
    var csrf: String { Viewer.csrf(for: session) }

    /// A GET with the session cookie and any `cookies` ("name=value") the server set before.
    func get(_ uri: String, cookies: [String] = [], headers: HTTPFields = [:]) async throws -> TestResponse {
        var fields = headers
        fields[.cookie] = (["tessera_session=\(session)"] + cookies).joined(separator: "; ")
        return try await client.execute(uri: uri, method: .get, headers: fields, body: nil)
    }

    func post(_ uri: String, _ fields: [(String, String)], csrf: String? = nil) async throws -> TestResponse {
        let body = (fields + [("csrf", csrf ?? self.csrf)]).map { "\($0)=\(Self.encode($1))" }.joined(separator: "&")
        return try await client.execute(
            uri: uri,
            method: .post,
            headers: [.cookie: "tessera_session=\(session)", .contentType: "application/x-www-form-urlencoded"],
            body: ByteBuffer(string: body)
        )
    }

    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? ""
    }

    /// Runs `body` with a fresh harness, the whole application on it, and Admin signed in through the sign-in form.
    static func with(_ body: @escaping @Sendable (Harness, Browser) async throws -> Void) async throws {
        try await Harness.with(.sqlite) { (h: Harness) async throws in
            let app = try buildApplication(ServerConfig(), services: h.services, web: try await WebUI.load(), logger: Harness.logger)
            try await app.test(.router) { client in
                let login = try await client.execute(
                    uri: "/login",
                    method: .post,
                    headers: [.contentType: "application/x-www-form-urlencoded"],
                    body: ByteBuffer(string: "username=Admin&password=\(encode(Harness.adminPassword))")
                )
                #expect(login.status == .seeOther)
                let cookie = try #require(login.headers[.setCookie])
                let session = try #require(cookie.split(separator: ";").first?.split(separator: "=").last.map(String.init))
                try await body(h, Browser(client: client, session: session))
            }
        }
    }
}
