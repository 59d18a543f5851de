import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import Tessera

/// The web UI's cookies and transport headers: messages carried across a redirect are signed for the
/// session, and over TLS (here: through a trusted proxy saying https) the cookies carry the `__Host-`
/// prefix and every answer HSTS.
@Suite("Web cookies")
struct WebCookieTests {
    static let hsts = HTTPField.Name("Strict-Transport-Security")!

    /// A `Set-Cookie` value as name, value and attributes (Hummingbird writes them in no fixed order).
    static func parse(_ header: String) -> (name: String, value: String, attributes: Set<String>) {
        let parts = header.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        let pair = parts[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        return (pair[0], pair.count > 1 ? pair[1] : "", Set(parts.dropFirst()))
    }

    @Test func onlyMessagesSignedForTheSessionAreShown() async throws {
        try await Browser.with { h, browser in
            func tokens(flash: String) async throws -> String {
                let cookies = "tessera_session=\(browser.session); tessera_flash=\(flash)"
                let page = try await browser.client.execute(uri: "/tokens", method: .get, headers: [.cookie: cookies], body: nil)
                #expect(page.status == .ok)
                return String(buffer: page.body)
            }
            let message = Flash(ok: false, title: "Your password expired: sign in at evil.example")
            #expect(try await tokens(flash: message.cookieValue(signedFor: browser.session)).contains("sign in at evil.example"))
            // Signed for another session, unsigned (as before), or changed after signing: not shown.
            #expect(!(try await tokens(flash: message.cookieValue(signedFor: String(repeating: "0", count: 32))).contains("evil.example")))
            let unsigned = Data(#"{"ok":false,"title":"Your password expired: sign in at evil.example","details":[]}"#.utf8).base64EncodedString()
            #expect(!(try await tokens(flash: unsigned)).contains("evil.example"))
            let genuine = Flash(ok: true, title: "tokens_disabled").cookieValue(signedFor: browser.session)
            var json = try JSONParser.parse(Array(Data(base64Encoded: genuine + String(repeating: "=", count: (4 - genuine.count % 4) % 4))!))
            json = .object(JSONObject(json.objectValue!.pairs.map { $0.0 == "title" ? ($0.0, .string("evil.example")) : $0 }))
            let tampered = Data(json.encoded().utf8).base64EncodedString()
            #expect(!(try await tokens(flash: tampered)).contains("evil.example"))

            // What a redirect sets verifies for this session only.
            let token = try await h.token("one", auth: try await h.login())
            let done = try await browser.post("/tokens/disable", [("tokenids[]", token.id)])
            let cookie = Self.parse(try #require(done.headers[.setCookie]))
            #expect(cookie.name == "tessera_flash" && cookie.attributes == ["Max-Age=60", "Path=/", "HttpOnly", "SameSite=Lax"])
            let value = cookie.value
            #expect(Flash(cookieValue: value, sessionid: browser.session)?.title == "token_disabled")
            #expect(Flash(cookieValue: value, sessionid: String(repeating: "0", count: 32)) == nil)
        }
    }

    /// A live server behind a "proxy" at the loopback address; `https` says whether it forwards TLS.
    func withProxiedApp(_ body: @escaping @Sendable (Harness, any TestClientProtocol) async throws -> Void) async throws {
        try await Harness.with(.sqlite) { (h: Harness) async throws in
            var config = ServerConfig()
            config.port = 0
            config.trustedProxies = ["127.0.0.1", "::1"]
            let app = try buildApplication(config, services: h.services, web: try await WebUI.load(), logger: Harness.logger)
            try await app.test(.live) { client in try await body(h, client) }
        }
    }

    static func signIn(_ client: any TestClientProtocol, https: Bool) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        if https { headers[HTTPField.Name("X-Forwarded-Proto")!] = "https" }
        return try await client.execute(
            uri: "/login",
            method: .post,
            headers: headers,
            body: ByteBuffer(string: "username=Admin&password=\(Browser.encode(Harness.adminPassword))")
        )
    }

    static func get(_ client: any TestClientProtocol, _ uri: String, cookie: String, https: Bool) async throws -> TestResponse {
        var headers: HTTPFields = [.cookie: cookie]
        if https { headers[HTTPField.Name("X-Forwarded-Proto")!] = "https" }
        return try await client.execute(uri: uri, method: .get, headers: headers, body: nil)
    }

    @Test func overTLSTheCookiesAreHostPrefixedAndAnswersCarryHSTS() async throws {
        try await withProxiedApp { _, client in
            let login = try await Self.signIn(client, https: true)
            #expect(login.status == .seeOther)
            #expect(login.headers[Self.hsts] == "max-age=31536000")
            let cookie = Self.parse(try #require(login.headers[.setCookie]))
            #expect(cookie.name == "__Host-tessera_session" && cookie.attributes == ["Path=/", "Secure", "HttpOnly", "SameSite=Lax"])
            let session = cookie.value

            // Read under its TLS name only: the same session under the plain name is not signed in.
            let page = try await Self.get(client, "/tokens", cookie: "__Host-tessera_session=\(session)", https: true)
            #expect(page.status == .ok)
            #expect(page.headers[Self.hsts] == "max-age=31536000")
            let planted = try await Self.get(client, "/tokens", cookie: "tessera_session=\(session)", https: true)
            #expect(planted.status == .seeOther)
            #expect(planted.headers[.location] == "/login")

            // A message: set and cleared under the TLS name, Secure.
            let csrf = Viewer.csrf(for: session)
            var headers: HTTPFields = [
                .cookie: "__Host-tessera_session=\(session)", .contentType: "application/x-www-form-urlencoded",
                HTTPField.Name("X-Forwarded-Proto")!: "https",
            ]
            let disabled = try await client.execute(uri: "/tokens/disable", method: .post, headers: headers, body: ByteBuffer(string: "csrf=\(csrf)"))
            let flash = Self.parse(try #require(disabled.headers[.setCookie]))
            #expect(flash.name == "__Host-tessera_flash" && flash.attributes == ["Max-Age=60", "Path=/", "Secure", "HttpOnly", "SameSite=Lax"])
            headers[.cookie] = "__Host-tessera_session=\(session); __Host-tessera_flash=\(flash.value)"
            let shown = try await client.execute(uri: "/tokens", method: .get, headers: headers, body: nil)
            #expect(String(buffer: shown.body).contains(#"id="message""#))
            let cleared = Self.parse(try #require(shown.headers[.setCookie]))
            #expect(cleared.name == "__Host-tessera_flash" && cleared.value.isEmpty)
            #expect(cleared.attributes == ["Max-Age=0", "Path=/", "Secure", "HttpOnly", "SameSite=Lax"])

            // Every kind of answer: the API, the health check, a missing page.
            for (uri, status) in [("/healthz", HTTPResponse.Status.ok), ("/no-such-page", .notFound)] {
                let answer = try await Self.get(client, uri, cookie: "", https: true)
                #expect(answer.status == status)
                #expect(answer.headers[Self.hsts] == "max-age=31536000")
            }
        }
    }

    @Test func withoutTLSTheCookiesKeepTheirNamesAndNoHSTSIsSent() async throws {
        try await withProxiedApp { _, client in
            let login = try await Self.signIn(client, https: false)
            #expect(login.headers[Self.hsts] == nil)
            let cookie = Self.parse(try #require(login.headers[.setCookie]))
            #expect(cookie.name == "tessera_session" && cookie.attributes == ["Path=/", "HttpOnly", "SameSite=Lax"])
            let session = cookie.value
            let page = try await Self.get(client, "/tokens", cookie: "tessera_session=\(session)", https: false)
            #expect(page.status == .ok)
            #expect(page.headers[Self.hsts] == nil)
            let prefixed = try await Self.get(client, "/tokens", cookie: "__Host-tessera_session=\(session)", https: false)
            #expect(prefixed.status == .seeOther)
        }
    }
}
