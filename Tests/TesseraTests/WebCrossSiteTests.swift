import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import Tessera

/// What another site can make a signed-in browser send: a sign-in post (login CSRF) is refused, and a
/// link to a list with a query shows that list without changing what the viewer's lists remember.
@Suite("web: requests from other sites")
struct WebCrossSiteTests {
    func signIn(_ client: any TestClientProtocol, _ headers: HTTPFields) async throws -> TestResponse {
        var fields = headers
        fields[.contentType] = "application/x-www-form-urlencoded"
        return try await client.execute(
            uri: "/login",
            method: .post,
            headers: fields,
            body: ByteBuffer(string: "username=Admin&password=\(Browser.encode(Harness.adminPassword))")
        )
    }

    @Test func aSignInPostFromAnotherSiteIsRefused() async throws {
        try await Browser.with { h, browser in
            let refusals: [HTTPFields] = [
                [.secFetchSite: "cross-site"],
                [.secFetchSite: "same-site"],
                [.origin: "http://evil.example"],
                [.origin: "null"],
            ]
            for headers in refusals {
                let refused = try await signIn(browser.client, headers)
                #expect(refused.status == .forbidden, "\(headers)")
                #expect(refused.headers[.setCookie]?.hasPrefix("tessera_session=") != true, "\(headers)")
                #expect(String(buffer: refused.body).contains("The form has expired or did not come from this site."))
            }
            let sessions = try await h.result("user.get", ["userids": ["1"], "output": ["attempt_failed"]], auth: try await h.login())
            #expect(sessions == [["userid": "1", "attempt_failed": "0"]], "no password was tried")

            for headers: HTTPFields in [[.secFetchSite: "same-origin"], [.secFetchSite: "none"], [.origin: "http://localhost"], [:]] {
                let signedIn = try await signIn(browser.client, headers)
                #expect(signedIn.status == .seeOther, "\(headers)")
                #expect(signedIn.headers[.setCookie]?.hasPrefix("tessera_session=") == true, "\(headers)")
            }
        }
    }

    @Test func aListLinkFromAnotherSiteIsShownButNotRemembered() async throws {
        try await Browser.with { h, browser in
            let admin = try await h.login()
            _ = try await h.token("alpha", auth: admin)
            _ = try await h.token("beta", auth: admin)
            func names(_ page: TestResponse) -> [String] {
                String(buffer: page.body).matches(of: #/class="token-name">([^<]*)</#).map { String($0.output.1) }
            }
            let linked = try await browser.get("/tokens?sort=name&sortorder=DESC", headers: [.secFetchSite: "cross-site"])
            #expect(names(linked) == ["beta", "alpha"])
            #expect(names(try await browser.get("/tokens")) == ["alpha", "beta"])
            let filtered = try await browser.get("/tokens?filter_set=1&filter_name=beta", headers: [.secFetchSite: "cross-site"])
            #expect(names(filtered) == ["beta"])
            #expect(names(try await browser.get("/tokens")) == ["alpha", "beta"])
            func usernames(_ page: TestResponse) -> [String] {
                String(buffer: page.body).matches(of: #/class="username">([^<]*)</#).map { String($0.output.1) }
            }
            let users = try await browser.get("/users?sort=username&sortorder=DESC", headers: [.secFetchSite: "cross-site"])
            #expect(usernames(users) == ["guest", "Admin"])
            #expect(usernames(try await browser.get("/users")) == ["Admin", "guest"])

            // The same links followed on this site are remembered.
            _ = try await browser.get("/tokens?sort=name&sortorder=DESC", headers: [.secFetchSite: "same-origin"])
            #expect(names(try await browser.get("/tokens")) == ["beta", "alpha"])
        }
    }
}
