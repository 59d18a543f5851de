import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import Tessera

/// Administration → User roles through the router, as a browser without JavaScript uses it: the list,
/// the form with its CSRF token, the redirect after a post, the errors and the error pages.
@Suite("web: user role pages")
struct WebRolePagesTests {
    /// The first group of every match of `pattern` in a page.
    func matches(_ html: String, _ pattern: String) throws -> [String] {
        html.matches(of: try Regex(pattern)).compactMap { $0.output[1].substring.map(String.init) }
    }

    @Test func listShowsTheRolesByNameWithTheirUsers() async throws {
        try await Browser.with { h, browser in
            _ = try await h.user("worker", roleid: "1", auth: try await h.login())
            let list = String(buffer: try await browser.get("/roles").body)
            #expect(try matches(list, #"class="role-name">([^<]*)<"#) == ["Admin role", "Guest role", "Super admin role", "User role"])
            #expect(try matches(list, #"class="type">([^<]*)<"#) == ["Admin", "User", "Super admin", "User"])
            #expect(try matches(list, #"class="users">([^<]*)<"#) == ["0", "1", "1", "1"])
            #expect(try matches(list, #"<span class="label">\(([^)]*)\)"#) == ["Read-only"])
            #expect(list.contains("<tr data-id=\"3\">"))
        }
    }

    @Test func createThenEditThroughTheForm() async throws {
        try await Browser.with { h, browser in
            let created = try await browser.post(
                "/roles/create",
                [
                    ("name", "Deployers"), ("type", "1"), ("api_access", "1"), ("api_mode", "1"),
                    ("api_methods", "token.*\r\n  user.get \r\n\r\n"), ("shown_type", "1"), ("actions_default_access", "1"),
                ] + RoleCatalog.actions(type: 1).filter { $0 != "edit_maps" }.map { ("actions[]", $0) }
            )
            #expect(created.status == .seeOther)
            #expect(created.headers[.location] == "/roles")
            #expect(created.flash?.title == "role_added")
            let admin = try await h.login()
            let params: JSON = ["roleids": "5", "output": ["name", "type"], "selectRules": ["api.mode", "api", "actions"]]
            let role = try #require(try await h.result("role.get", params, auth: admin).arrayValue?.first)
            #expect(role["name"] == "Deployers" && role["type"] == "1")
            #expect(role["rules"]?["api.mode"] == "1" && role["rules"]?["api"] == ["token.*", "user.get"])
            let actions = role["rules"]?["actions"]?.arrayValue ?? []
            #expect(actions.filter { $0["status"] == "0" } == [["name": "edit_maps", "status": "0"]])

            let form = String(buffer: try await browser.get("/roles/5/edit").body)
            #expect(form.contains("value=\"Deployers\""))
            #expect(form.contains(">token.*\nuser.get</textarea>"))
            #expect(try matches(form, #"id="action-([a-z_]+)" name="actions\[\]" value="[a-z_]+" >"#) == ["edit_maps"])
            #expect(form.contains("action=\"/roles/5/update\""))

            let updated = try await browser.post("/roles/5/update", [("name", "Deployers 2"), ("type", "2"), ("api_access", "0")])
            #expect(updated.flash?.title == "role_updated")
            let changed = try await h.result("role.get", ["roleids": "5", "output": ["name", "type"], "selectRules": ["api.access"]], auth: admin)
            #expect(changed == [["name": "Deployers 2", "type": "2", "rules": ["api.access": "0"]]])
        }
    }

    @Test func formErrorsComeBackInTheOrderTheAPIChecks() async throws {
        try await Browser.with { h, browser in
            func message(_ fields: [(String, String)], to path: String = "/roles/create") async throws -> String? {
                let page = String(buffer: try await browser.post(path, fields).body)
                return try matches(page, #"<li>([^<]*)</li>"#).first
            }
            let refused = try await browser.post("/roles/create", [("name", ""), ("type", "9")])
            #expect(refused.status == .ok)
            #expect(String(buffer: refused.body).contains("Cannot create user role"))
            #expect(try await message([("name", ""), ("type", "9")]) == "Invalid parameter &quot;/1/name&quot;: cannot be empty.")
            #expect(try await message([("name", "x"), ("type", "9")]) == "Invalid parameter &quot;/1/type&quot;: value must be one of 1, 2, 3.")
            #expect(try await message([("name", "x"), ("type", "one")]) == "Invalid parameter &quot;/1/type&quot;: an integer is expected.")
            #expect(
                try await message([("name", "x"), ("type", "1"), ("api_mode", "2")])
                    == "Invalid parameter &quot;/1/rules/api.mode&quot;: value must be one of 0, 1."
            )
            #expect(
                try await message([("name", "x"), ("type", "1"), ("api_methods", "user.get\nuser.get")])
                    == "Invalid parameter &quot;/1/rules/api/2&quot;: value (user.get) already exists."
            )
            #expect(try await message([("name", "User role"), ("type", "1")]) == "User role &quot;User role&quot; already exists.")
            #expect(
                try await message([("name", "Super admin role"), ("type", "3")], to: "/roles/3/update")
                    == "Cannot update readonly user role &quot;Super admin role&quot;."
            )
            // The posted values come back.
            let again = String(buffer: try await browser.post("/roles/create", [("name", "kept"), ("type", "2"), ("api_mode", "x")]).body)
            #expect(again.contains("value=\"kept\"") && again.contains("<option value=\"2\" selected>"))
            #expect(try await h.result("role.get", ["countOutput": true], auth: try await h.login()) == "4")
        }
    }

    @Test func deleteAndTheErrorPages() async throws {
        try await Browser.with { h, browser in
            let admin = try await h.login()
            let roleid =
                try await h.result("role.create", ["name": "spare", "type": 1], auth: admin)["roleids"]?.arrayValue?.first?.stringValue ?? ""
            let deleted = try await browser.post("/roles/delete", [("ids[]", roleid)])
            #expect(deleted.headers[.location] == "/roles")
            #expect(deleted.flash?.title == "role_deleted")
            let assigned = try await browser.post("/roles/delete", [("ids[]", "1"), ("ids[]", "4")])
            #expect(assigned.flash?.title == "cannot_delete_roles")
            #expect(assigned.flash?.details == ["Cannot delete assigned user role \"Guest role\"."])
            #expect(try await browser.post("/roles/delete", []).flash?.details == ["Invalid parameter \"/\": cannot be empty."])
            #expect(try await h.result("role.get", ["countOutput": true], auth: admin) == "4")

            #expect(try await browser.get("/roles/999/edit").status == .notFound)
            #expect(try await browser.get("/roles/abc/edit").status == .notFound)
            #expect(try await browser.post("/roles/999/update", [("name", "x"), ("type", "1")]).status == .notFound)
            #expect(try await browser.post("/roles/delete", [("ids[]", "1")], csrf: "0").status == .forbidden)
            let readonly = String(buffer: try await browser.get("/roles/3/edit").body)
            #expect(readonly.contains("id=\"readonly-note\"") && !readonly.contains("id=\"update\""))
        }
    }
}
