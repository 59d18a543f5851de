import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import Tessera

/// The API token pages through the router, as a browser without JavaScript uses them: sign in, list,
/// a form post with its CSRF token, the redirect after it, a filter, paging and the error pages.
@Suite("web: API token pages")
struct WebTokenPagesTests {
    /// The first group of every match of `pattern` in a page.
    func matches(_ html: String, _ pattern: String) -> [String] {
        html.matches(of: try! Regex(pattern)).compactMap { $0.output[1].substring.map(String.init) }
    }

    @Test func createShowsTheValueOnceThenListsTheToken() async throws {
        try await Browser.with { h, browser in
            let empty = try await browser.get("/tokens")
            #expect(empty.status == .ok)
            #expect(String(buffer: empty.body).contains("<tr class=\"empty\">"))

            let created = try await browser.post(
                "/tokens/create",
                [("name", "deploy"), ("userid", "1"), ("description", "ci"), ("expires_state", "0"), ("status", "0")]
            )
            // Post/redirect/get: the post answers with a redirect, never with the value itself.
            #expect(created.status == .seeOther)
            #expect(created.headers[.location] == "/tokens/view")
            #expect(created.body.readableBytes == 0)
            let setCookie = try #require(created.headers[.setCookie])
            #expect(setCookie.hasPrefix("tessera_once="))
            #expect(setCookie.contains("Path=/tokens/view") && setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict"))
            #expect(setCookie.contains("Max-Age=60"))
            let once = try #require(setCookie.split(separator: ";").first.map(String.init))
            #expect(!once.contains("deploy"), "the cookie is sealed")

            let shown = try await browser.get("/tokens/view", cookies: [once])
            #expect(shown.status == .ok)
            #expect(shown.headers[.cacheControl] == "no-store")
            let deleted = shown.headers[values: .setCookie].map { Set($0.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }) }
            #expect(deleted.contains(["tessera_once=", "Max-Age=0", "HttpOnly", "SameSite=Strict", "Path=/tokens/view"]))
            let page = String(buffer: shown.body)
            #expect(page.contains("API token added"))
            let values = matches(page, #"id="auth-token"[^>]*>([0-9a-f]{64})<"#)
            let value = try #require(values.first, "the value is on the page")

            // Reloading (the browser deleted the cookie) goes back to the list, saying why.
            let reloaded = try await browser.get("/tokens/view")
            #expect(reloaded.status == .seeOther)
            #expect(reloaded.headers[.location] == "/tokens")
            #expect(reloaded.flash?.title == "token_value_gone")
            #expect(try await h.result("user.checkAuthentication", ["token": .string(value)])["username"] == "Admin")

            let list = String(buffer: try await browser.get("/tokens").body)
            #expect(matches(list, #"class="token-name">([^<]*)<"#) == ["deploy"])
            #expect(!list.contains(value))
        }
    }

    @Test func theSealedValueOpensOnlyForItsSessionAndPageWhileFresh() throws {
        let session = String(repeating: "a", count: 32)
        let value = OneTimeValue(
            title: "token_added",
            name: "n",
            user: "Admin",
            token: String(repeating: "f", count: 64),
            expiry: 0,
            description: "",
            enabled: true,
            sealedAt: 1000
        )
        let sealed = try value.sealed(sessionid: session, path: "/tokens/view")
        #expect(!sealed.contains("ffff"))
        #expect(OneTimeValue.open(sealed, sessionid: session, path: "/tokens/view", now: 1060) == value)
        #expect(OneTimeValue.open(sealed, sessionid: session, path: "/tokens/view", now: 1061) == nil)
        #expect(OneTimeValue.open(sealed, sessionid: session, path: "/tokens/view", now: 999) == nil)
        #expect(OneTimeValue.open(sealed, sessionid: String(repeating: "b", count: 32), path: "/tokens/view", now: 1000) == nil)
        #expect(OneTimeValue.open(sealed, sessionid: session, path: "/user/tokens/view", now: 1000) == nil)
        #expect(OneTimeValue.open(String(sealed.dropLast()), sessionid: session, path: "/tokens/view", now: 1000) == nil)
    }

    @Test func formErrorsComeBackWithTheValuesAndWriteNothing() async throws {
        try await Browser.with { h, browser in
            let refused = try await browser.post("/tokens/create", [("name", ""), ("userid", "1"), ("expires_state", "1"), ("expires_at", "soon")])
            #expect(refused.status == .ok)
            let page = String(buffer: refused.body)
            #expect(page.contains("Cannot add API token"))
            #expect(page.contains("Incorrect value for field &quot;name&quot;: cannot be empty."))
            #expect(page.contains("value=\"soon\""))
            #expect(try await h.result("token.get", ["countOutput": true], auth: try await h.login()) == "0")
        }
    }

    @Test func anExpiryInThePastIsRefusedUnlessItIsTheStoredOne() async throws {
        try await Browser.with { h, browser in
            let past = [("expires_state", "1"), ("expires_at", "2020-01-01 00:00:00"), ("status", "0")]
            let refused = try await browser.post("/tokens/create", [("name", "late"), ("userid", "1")] + past)
            #expect(refused.status == .ok)
            let page = String(buffer: refused.body)
            #expect(page.contains("Cannot add API token"))
            #expect(page.contains("Incorrect value for field &quot;expires_at&quot;: the time has passed."))
            let admin = try await h.login()
            #expect(try await h.result("token.get", ["countOutput": true], auth: admin) == "0")

            // A token that has already expired keeps its date when only its name changes.
            let expired = try await h.result("token.create", ["name": "old", "expires_at": 1_577_836_800], auth: admin)
            let id = try #require(expired["tokenids"]?.arrayValue?.first?.stringValue)
            let renamed = try await browser.post("/tokens/\(id)/update", [("name", "older")] + past)
            #expect(renamed.status == .seeOther)
            #expect(
                try await h.result("token.get", ["output": ["name", "expires_at"]], auth: admin) == [["name": "older", "expires_at": "1577836800"]]
            )
        }
    }

    @Test func theOwnerPickerLeavesOutAGuestThatCannotUseTokens() async throws {
        try await Browser.with { h, browser in
            func labels(_ query: String) async throws -> [String] {
                let answer = try JSONParser.parse(Array(String(buffer: try await browser.get("/ui/users?" + query).body).utf8))
                return answer.arrayValue?.compactMap { $0["label"]?.stringValue } ?? []
            }
            // The default guest is in the Disabled group with a role without API access.
            #expect(try await labels("search=guest") == ["guest"])
            #expect(try await labels("search=guest&for=owners") == [])

            // Out of the Disabled group and with API access, it could use a token: offered.
            let admin = try await h.login()
            _ = try await h.result("user.update", ["userid": "2", "usrgrps": [["usrgrpid": "8"]]], auth: admin)
            #expect(try await labels("search=guest&for=owners") == [])
            let guestRole = try #require(
                try await h.result("user.get", ["userids": ["2"], "output": ["roleid"]], auth: admin).arrayValue?.first?["roleid"]
            )
            _ = try await h.result("role.update", ["roleid": guestRole, "rules": ["api.access": 1]], auth: admin)
            #expect(try await labels("search=guest&for=owners") == ["guest"])
        }
    }

    @Test func massActionsRedirectWithTheirMessage() async throws {
        try await Browser.with { h, browser in
            let admin = try await h.login()
            let first = try await h.token("one", auth: admin)
            let second = try await h.token("two", auth: admin)
            let disabled = try await browser.post("/tokens/disable", [("tokenids[]", first.id), ("tokenids[]", second.id)])
            #expect(disabled.status == .seeOther)
            #expect(disabled.headers[.location] == "/tokens")
            let flash = try #require(disabled.headers[.setCookie].flatMap { $0.split(separator: ";").first }.map(String.init))
            #expect(Flash(cookieValue: String(flash.dropFirst("tessera_flash=".count)))?.title == "tokens_disabled")
            #expect(
                try await h.result("token.get", ["output": ["tokenid", "status"]], auth: admin) == [
                    ["tokenid": "1", "status": "1"], ["tokenid": "2", "status": "1"],
                ]
            )

            // Without the session's CSRF token nothing changes.
            let forged = try await browser.post("/tokens/delete", [("tokenids[]", first.id)], csrf: "0")
            #expect(forged.status == .forbidden)
            // Under User settings a Super admin has only their own tokens: one that is not refuses the whole action.
            let session = try await h.login()
            _ = try await h.user("worker", roleid: "1", auth: session)
            let workers = try await h.result("token.create", ["name": "w", "userid": "3"], auth: session)["tokenids"]!.arrayValue![0].stringValue!
            let own = try await browser.post("/user/tokens/delete", [("tokenids[]", first.id), ("tokenids[]", workers)])
            #expect(own.headers[.location] == "/user/tokens")
            #expect(try await h.result("token.get", ["countOutput": true], auth: admin) == "3")
        }
    }

    @Test func filterAndPagingAreRemembered() async throws {
        try await Browser.with { h, browser in
            let admin = try await h.login()
            for index in 1...4 { _ = try await h.token("token \(index)", auth: admin) }
            _ = try await h.token("other", auth: admin)
            _ = try await h.result("user.update", ["userid": "1", "rows_per_page": 2], auth: admin)

            let filtered = try await browser.get("/tokens?filter_set=1&filter_name=token&filter_status=-1&filter_expires_days=14")
            #expect(matches(String(buffer: filtered.body), #"class="token-name">([^<]*)<"#) == ["token 1", "token 2"])
            #expect(String(buffer: filtered.body).contains("Displaying 1 to 2 of 4 found"))
            let second = String(buffer: try await browser.get("/tokens?page=2").body)
            #expect(matches(second, #"class="token-name">([^<]*)<"#) == ["token 3", "token 4"])
            // Sorting keeps the page.
            let sorted = String(buffer: try await browser.get("/tokens?sort=name&sortorder=DESC").body)
            #expect(matches(sorted, #"class="token-name">([^<]*)<"#) == ["token 2", "token 1"])
            let reset = String(buffer: try await browser.get("/tokens?filter_rst=1").body)
            #expect(matches(reset, #"class="token-name">([^<]*)<"#) == ["token 4", "token 3"])
            #expect(reset.contains("of 5 found"))
        }
    }

    @Test func aBadFilterSortOrPageIsRefusedAndNotRemembered() async throws {
        try await Browser.with { h, browser in
            _ = try await h.token("kept", auth: try await h.login())
            #expect(try await browser.get("/tokens?filter_set=1&filter_name=kept&sort=name&sortorder=DESC").status == .ok)
            let refused: [(String, String)] = [
                (
                    "filter_set=1&filter_name=x&filter_expires_days=1000",
                    "Incorrect value for field &quot;filter_expires_days&quot;: value must be between 0 and 999."
                ),
                (
                    "filter_set=1&filter_name=x&filter_expires_days=soon",
                    "Incorrect value for field &quot;filter_expires_days&quot;: value must be between 0 and 999."
                ),
                ("filter_set=1&filter_name=x&filter_status=2", "Incorrect value for field &quot;filter_status&quot;: value must be one of -1, 0, 1."),
                (
                    "filter_set=1&filter_name=x&filter_expires_state=yes",
                    "Incorrect value for field &quot;filter_expires_state&quot;: value must be one of 0, 1."
                ),
                (
                    "sort=secret",
                    "Incorrect value for field &quot;sort&quot;: value must be one of name, user, expires_at, creator, lastaccess, status."
                ),
                ("sort=name&sortorder=UP", "Incorrect value for field &quot;sortorder&quot;: value must be one of ASC, DESC."),
                ("page=0", "Incorrect value for field &quot;page&quot;: value must be between 1 and 2147483647."),
                ("page=99999999999", "Incorrect value for field &quot;page&quot;: value must be between 1 and 2147483647."),
            ]
            for (query, message) in refused {
                let page = try await browser.get("/tokens?" + query)
                #expect(page.status == .badRequest, "\(query)")
                #expect(String(buffer: page.body).contains(message), "\(query)")
            }
            // Nothing of them was remembered: the list is as the good query left it.
            let list = String(buffer: try await browser.get("/tokens").body)
            #expect(matches(list, #"class="token-name">([^<]*)<"#) == ["kept"])
            #expect(list.contains("value=\"kept\""))
            #expect(list.contains("sorted-DESC"))
        }
    }

    @Test func unknownAndForbiddenPages() async throws {
        try await Browser.with { h, browser in
            #expect(try await browser.get("/tokens/999/edit").status == .notFound)
            #expect(try await browser.get("/tokens/abc/edit").status == .notFound)
            // Another user's token is not found on one's own pages, as one that does not exist.
            let admin = try await h.login()
            let others = try await h.result("token.create", ["name": "guest's", "userid": "2"], auth: admin)
            let id = try #require(others["tokenids"]?.arrayValue?.first?.stringValue)
            #expect(try await browser.get("/user/tokens/\(id)/edit").status == .notFound)
            #expect(try await browser.get("/tokens/\(id)/edit").status == .ok)
            let anonymous = try await browser.client.execute(uri: "/tokens", method: .get, headers: [:], body: nil)
            #expect(anonymous.status == .seeOther)
            #expect(anonymous.headers[.location] == "/login")
        }
    }

    /// A body or query that is not the page's form is refused as a bad request and changes nothing:
    /// a field given twice, a list where one value belongs, a form over 1 MiB.
    @Test func aRequestThatIsNotThePagesFormIsRefusedAndChangesNothing() async throws {
        try await Browser.with { h, browser in
            let admin = try await h.login()
            let twice = try await browser.post("/tokens/create", [("name", "a"), ("name", "b"), ("userid", "1"), ("status", "0")])
            #expect(twice.status == .badRequest)
            #expect(String(buffer: twice.body).contains("form. Nothing was changed."))
            let list = try await browser.post("/tokens/create", [("name[]", "a"), ("userid", "1")])
            #expect(list.status == .badRequest)
            let large = try await browser.post(
                "/tokens/create",
                [("name", "big"), ("userid", "1"), ("description", String(repeating: "x", count: 1 << 20))]
            )
            #expect(large.status == .contentTooLarge)
            #expect(String(buffer: large.body).contains("The form is larger than this page accepts (1 MiB)."))
            #expect(try await h.result("token.get", ["countOutput": true], auth: admin) == "0")

            _ = try await h.token("one", auth: admin)
            _ = try await h.token("two", auth: admin)
            // Neither the sort order nor the filter of a refused query is remembered.
            #expect(try await browser.get("/tokens?sort=name&sortorder=DESC&sort=status").status == .badRequest)
            #expect(try await browser.get("/tokens?filter_set=1&filter_name=one&filter_name=y").status == .badRequest)
            let unchanged = String(buffer: try await browser.get("/tokens").body)
            #expect(matches(unchanged, #"class="token-name">([^<]*)<"#) == ["one", "two"])
        }
    }
}
