import Foundation
import Hummingbird

/// Administration → User groups: list, create, edit and delete groups through `usergroup.*`. A group's
/// status and frontend access apply to its members (a disabled group signs its users out).
struct GroupPages: AdminPage {
    let web: WebSession
    let base = "/usergroups"
    let menu = "usergroups"
    let title = "menu_user_groups"
    let nouns = (one: "group", many: "groups")

    func allowed(_ viewer: Viewer) -> Bool { viewer.permissions.mayAdministerGroups }

    func list(_ viewer: Viewer, _ call: CallContext, flash: Flash?) async throws -> Response {
        let groups = try await services.userGroups.get(
            call,
            [
                "output": "extend", "selectUsers": ["username", "name", "surname"], "sortfield": "name",
            ]
        )
        let rows: [[String: Any]] = (groups.arrayValue ?? []).map { group in
            let members = (group["users"]?.arrayValue ?? []).map {
                UserAccount.fullName($0["username"]?.stringValue ?? "", $0["name"]?.stringValue ?? "", $0["surname"]?.stringValue ?? "")
            }
            return [
                "id": group["usrgrpid"]?.stringValue ?? "", "name": group["name"]?.stringValue ?? "",
                "members": members.joined(separator: ", "),
                "frontend": viewer.t("gui_" + (group["gui_access"]?.stringValue ?? "0")),
                "enabled": group["users_status"]?.stringValue == "0", "debug": group["debug_mode"]?.stringValue == "1",
            ]
        }
        return page("group_list", viewer, ["rows": rows, "zeroSelected": viewer.t("n_selected", "0")], flash: flash)
    }

    // MARK: - Form

    /// What the form shows: stored values when editing, posted ones when it comes back with errors.
    struct Values {
        var name = ""
        var userids: [String] = []
        var guiAccess = "0"
        var enabled = true
        var debug = false

        init() {}

        init(_ group: JSON) {
            name = group["name"]?.stringValue ?? ""
            userids = (group["users"]?.arrayValue ?? []).compactMap { $0["userid"]?.stringValue }
            guiAccess = group["gui_access"]?.stringValue ?? "0"
            enabled = group["users_status"]?.stringValue == "0"
            debug = group["debug_mode"]?.stringValue == "1"
        }

        init(_ form: FormData) {
            name = form["name"] ?? ""
            userids = form.ids("users[]")
            guiAccess = form["gui_access"] ?? "0"
            enabled = form["users_status"] == "0"
            debug = form["debug_mode"] == "1"
        }
    }

    func form(_ viewer: Viewer, _ call: CallContext, id: String?) async throws -> Response {
        guard let id else { return try await render(viewer, call, Values(), id: nil) }
        let group = try await services.userGroups.get(call, ["usrgrpids": [.string(id)], "output": "extend", "selectUsers": ["userid"]])
        guard let group = group.arrayValue?.first else { throw WebFailure.forbidden }
        return try await render(viewer, call, Values(group), id: id)
    }

    private func render(_ viewer: Viewer, _ call: CallContext, _ values: Values, id: String?, flash: Flash? = nil) async throws -> Response {
        let users = try await services.users.records(UserFilter(), by: call)
        let data: [String: Any] = [
            "form": ["name": values.name, "enabled": values.enabled, "debug": values.debug],
            "users": users.map { user -> [String: Any] in
                ["id": user.id.description, "label": user.names.fullName, "checked": values.userids.contains(user.id.description)]
            },
            "guiAccess": selectOptions((0...3).map { (String($0), viewer.t("gui_\($0)")) }, selected: values.guiAccess),
            "editing": id != nil, "id": id ?? "", "action": id.map { "\(base)/\($0)/update" } ?? "\(base)/create",
        ]
        return page("group_form", viewer, data, flash: flash)
    }

    // MARK: - Create, update

    func save(_ viewer: Viewer, _ call: CallContext, _ form: FormData, id: String?, secure: Bool) async throws -> Response {
        let values = Values(form)
        var fields: JSONObject = [
            "name": .string(values.name), "gui_access": Self.number(values.guiAccess), "users_status": .int(values.enabled ? 0 : 1),
            "debug_mode": .int(values.debug ? 1 : 0), "users": .array(values.userids.map { ["userid": .string($0)] }),
        ]
        if let id { fields["usrgrpid"] = .string(id) }
        do {
            if id == nil {
                _ = try await services.userGroups.create(call, .object(fields))
            } else {
                _ = try await services.userGroups.update(call, .object(fields))
            }
            return done(id == nil ? "group_added" : "group_updated", secure: secure)
        } catch let error as APIError {
            let failed = id == nil ? "cannot_add_group" : "cannot_update_group"
            return try await render(viewer, call, values, id: id, flash: Flash(ok: false, title: failed, details: [error.message]))
        }
    }

    func delete(_ call: CallContext, _ ids: JSON) async throws { _ = try await services.userGroups.delete(call, ids) }
}
