import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import Tessera

/// Administration → User groups through the router, as a browser without JavaScript uses it: the list,
/// the form with its CSRF token, the redirect after a post, the errors and the error pages.
@Suite("web: user group pages")
struct WebGroupPagesTests {
    /// The first group of every match of `pattern` in a page.
    func matches(_ html: String, _ pattern: String) throws -> [String] {
        html.matches(of: try Regex(pattern)).compactMap { $0.output[1].substring.map(String.init) }
    }

    @Test func listShowsTheGroupsByNameWithTheirMembers() async throws {
        try await Browser.with { h, browser in
            _ = try await h.user("worker", roleid: "1", groups: ["7", "9"], auth: try await h.login())
            let list = String(buffer: try await browser.get("/usergroups").body)
            #expect(
                try matches(list, #"class="group-name">([^<]*)<"#) == [
                    "Disabled", "Enabled debug mode", "Guests", "No access to the frontend", "Zabbix administrators",
                ]
            )
            #expect(try matches(list, #"class="members">([^<]*)<"#) == ["guest, worker", "", "guest", "", "Admin (Zabbix Administrator), worker"])
            #expect(
                try matches(list, #"class="frontend">([^<]*)<"#) == ["System default", "System default", "Internal", "Disabled", "System default"]
            )
            #expect(try matches(list, #"class="status [a-z]*">([^<]*)<"#) == ["Disabled", "Enabled", "Enabled", "Enabled", "Enabled"])
            #expect(try matches(list, #"class="debug">([^<]*)<"#) == ["Disabled", "Enabled", "Disabled", "Disabled", "Disabled"])
        }
    }

    @Test func createThenEditThroughTheForm() async throws {
        try await Browser.with { h, browser in
            let admin = try await h.login()
            let worker = try await h.user("worker", roleid: "1", auth: admin)
            let created = try await browser.post(
                "/usergroups/create",
                [("name", "Suspended"), ("users[]", worker), ("gui_access", "1"), ("users_status", "1"), ("debug_mode", "0")]
            )
            #expect(created.status == .seeOther)
            #expect(created.headers[.location] == "/usergroups")
            #expect(created.flash?.title == "group_added")
            let params: JSON = ["filter": ["name": "Suspended"], "output": ["usrgrpid", "gui_access", "users_status"], "selectUsers": ["userid"]]
            #expect(
                try await h.result("usergroup.get", params, auth: admin) == [
                    ["usrgrpid": "13", "gui_access": "1", "users_status": "1", "users": [["userid": .string(worker)]]]
                ]
            )

            let form = String(buffer: try await browser.get("/usergroups/13/edit").body)
            #expect(form.contains("value=\"Suspended\""))
            #expect(try matches(form, #"id="member-([0-9]+)" checked"#) == [worker])
            #expect(try matches(form, #"id="member-([0-9]+)""#) == ["1", "2", worker])
            #expect(form.contains("<option value=\"1\" selected>"))

            let updated = try await browser.post(
                "/usergroups/13/update",
                [("name", "Suspended"), ("users[]", "1"), ("gui_access", "0"), ("users_status", "0"), ("debug_mode", "1")]
            )
            #expect(updated.flash?.title == "group_updated")
            #expect(
                try await h.result("usergroup.get", params, auth: admin) == [
                    ["usrgrpid": "13", "gui_access": "0", "users_status": "0", "users": [["userid": "1"]]]
                ]
            )
        }
    }

    @Test func formErrorsComeBackInTheOrderTheAPIChecks() async throws {
        try await Browser.with { h, browser in
            func message(_ fields: [(String, String)], to path: String = "/usergroups/create") async throws -> String? {
                let page = String(buffer: try await browser.post(path, fields).body)
                return try matches(page, #"<li>([^<]*)</li>"#).first
            }
            let refused = try await browser.post("/usergroups/create", [("name", ""), ("gui_access", "7")])
            #expect(refused.status == .ok)
            #expect(String(buffer: refused.body).contains("Cannot add user group"))
            #expect(try await message([("name", ""), ("gui_access", "7")]) == "Invalid parameter &quot;/1/name&quot;: cannot be empty.")
            #expect(
                try await message([("name", "g"), ("gui_access", "7")])
                    == "Invalid parameter &quot;/1/gui_access&quot;: value must be one of 0, 1, 2, 3."
            )
            #expect(
                try await message([("name", "g"), ("users[]", "99999999999999999999")])
                    == "Invalid parameter &quot;/1/users/1/userid&quot;: a number is too large."
            )
            #expect(
                try await message([("name", "g"), ("users[]", "2"), ("users[]", "02")])
                    == "Invalid parameter &quot;/1/users/2&quot;: value (userid)=(2) already exists."
            )
            #expect(try await message([("name", "g"), ("users[]", "99")]) == "User with ID &quot;99&quot; is not available.")
            #expect(
                try await message([("name", "g"), ("users[]", "1"), ("users_status", "1")])
                    == "User cannot add himself to a disabled group or a group with disabled GUI access."
            )
            #expect(try await message([("name", "Guests")]) == "User group &quot;Guests&quot; already exists.")
            #expect(
                try await message([("name", "x")], to: "/usergroups/999/update") == "No permissions to referred object or it does not exist!"
            )
            #expect(
                try await message([("name", "x")], to: "/usergroups/99999999999999999999/update")
                    == "Invalid parameter &quot;/1/usrgrpid&quot;: a number is too large."
            )
            // The posted values come back.
            let again = String(buffer: try await browser.post("/usergroups/create", [("name", "kept"), ("users[]", "2"), ("gui_access", "x")]).body)
            #expect(again.contains("value=\"kept\"") && again.contains("id=\"member-2\" checked"))
            #expect(try await h.result("usergroup.get", ["countOutput": true], auth: try await h.login()) == "5")
        }
    }

    @Test func deleteAndTheErrorPages() async throws {
        try await Browser.with { h, browser in
            let admin = try await h.login()
            let groupid = try await h.result("usergroup.create", ["name": "spare"], auth: admin)["usrgrpids"]?.arrayValue?.first?.stringValue ?? ""
            let deleted = try await browser.post("/usergroups/delete", [("ids[]", groupid)])
            #expect(deleted.headers[.location] == "/usergroups")
            #expect(deleted.flash?.title == "group_deleted")
            let refused = try await browser.post("/usergroups/delete", [("ids[]", "7")])
            #expect(refused.flash?.title == "cannot_delete_group")
            #expect(refused.flash?.details == ["User group \"Zabbix administrators\" is used in configuration for database down messages."])
            #expect(
                try await browser.post("/usergroups/delete", [("ids[]", "8"), ("ids[]", "9")]).flash?.details == [
                    "User \"guest\" cannot be without user group."
                ]
            )
            #expect(try await h.result("usergroup.get", ["countOutput": true], auth: admin) == "5")

            #expect(try await browser.get("/usergroups/999/edit").status == .notFound)
            #expect(try await browser.get("/usergroups/abc/edit").status == .notFound)
            #expect(try await browser.post("/usergroups/delete", [("ids[]", "8")], csrf: "0").status == .forbidden)
        }
    }
}
