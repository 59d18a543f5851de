import Testing

@testable import Tessera

/// Administration → General and Authentication through the router: the stored values, a refused
/// value with the API's message (nothing stored), a saved form in effect through the API.
@Suite("web: settings pages")
struct WebSettingsPagesTests {
    @Test func generalSettings() async throws {
        try await Browser.with { h, browser in
            let page = String(buffer: try await browser.get("/administration/general").body)
            #expect(page.contains(#"id="login_attempts" name="login_attempts" value="5""#))
            #expect(page.contains(#"id="menu-general""#) && page.contains(#"id="menu-authentication""#))
            let form = [
                ("search_limit", "500"), ("default_lang", "nl_NL"), ("default_timezone", "Europe/Amsterdam"), ("login_attempts", "0"),
                ("login_block", "1m"),
            ]
            let refused = try await browser.post("/administration/general", form)
            #expect(refused.status == .ok)
            let text = String(buffer: refused.body)
            #expect(text.contains("Cannot update configuration"))
            #expect(text.contains("Invalid parameter &quot;/login_attempts&quot;: value must be one of 1-32."))
            #expect(text.contains(#"name="login_attempts" value="0""#), "the posted value is shown again")
            let s = try await h.login()
            #expect(try await h.result("settings.get", ["output": ["login_attempts"]], auth: s) == ["login_attempts": "5"])

            var good = form
            good[3] = ("login_attempts", "3")
            let saved = try await browser.post("/administration/general", good)
            #expect(saved.status == .seeOther)
            #expect(saved.headers[.location] == "/administration/general")
            #expect(saved.flash?.title == "settings_updated")
            #expect(
                try await h.result(
                    "settings.get",
                    ["output": ["search_limit", "default_lang", "default_timezone", "login_attempts", "login_block", "auditlog_enabled"]],
                    auth: s
                ) == [
                    "search_limit": "500", "default_lang": "nl_NL", "default_timezone": "Europe/Amsterdam", "login_attempts": "3",
                    "login_block": "1m", "auditlog_enabled": "0",
                ]
            )
        }
    }

    @Test func authenticationSettings() async throws {
        try await Browser.with { h, browser in
            let page = String(buffer: try await browser.get("/administration/authentication").body)
            #expect(page.contains(#"id="passwd_rule_8" name="passwd_check_rules[]" value="8" checked"#))
            #expect(!page.contains(#"value="1" checked"#))
            let saved = try await browser.post(
                "/administration/authentication",
                [("passwd_min_length", "12"), ("passwd_check_rules[]", "1"), ("passwd_check_rules[]", "4")]
            )
            #expect(saved.status == .seeOther)
            let s = try await h.login()
            #expect(
                try await h.result("authentication.get", ["output": ["passwd_min_length", "passwd_check_rules"]], auth: s)
                    == ["passwd_min_length": "12", "passwd_check_rules": "5"]
            )
            let refused = String(buffer: try await browser.post("/administration/authentication", [("passwd_min_length", "71")]).body)
            #expect(refused.contains("Invalid parameter &quot;/passwd_min_length&quot;: value must be one of 1-70."))
        }
    }
}
