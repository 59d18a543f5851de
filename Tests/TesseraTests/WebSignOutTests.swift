import Testing

@testable import Tessera

/// Signing out of the web UI is `user.logout`: the session ends and the audit log says so.
@Suite("web: sign-out")
struct WebSignOutTests {
    @Test func signOutEndsTheSessionWithItsAuditRecord() async throws {
        try await Browser.with { h, browser in
            #expect(try await browser.get("/tokens").status == .ok)
            // A post without the session's CSRF token ends nothing.
            #expect(try await browser.post("/logout", [], csrf: "0").status == .forbidden)
            #expect(try await browser.get("/tokens").status == .ok)

            let signedOut = try await browser.post("/logout", [])
            #expect(signedOut.status == .seeOther)
            #expect(signedOut.headers[.location] == "/login")
            #expect(try await browser.get("/tokens").headers[.location] == "/login")
            let records = try await h.result(
                "auditlog.get",
                ["output": ["username", "action"], "filter": ["action": [4, 8]], "sortfield": "clock"],
                auth: try await h.login()
            )
            #expect(records == [["username": "Admin", "action": "8"], ["username": "Admin", "action": "4"], ["username": "Admin", "action": "8"]])
        }
    }
}
