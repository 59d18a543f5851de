import Foundation
import Hummingbird

/// Administration → User roles: list, create, edit and delete roles through `role.*`. The form covers
/// the user type, API access (with its allow or deny list of methods) and the actions.
struct RolePages: AdminPage {
    let web: WebSession
    let base = "/roles"
    let menu = "roles"
    let title = "menu_user_roles"
    let nouns = (one: "role", many: "roles")

    func allowed(_ viewer: Viewer) -> Bool { viewer.permissions.mayAdministerRoles }

    func list(_ viewer: Viewer, _ call: CallContext, flash: Flash?) async throws -> Response {
        let roles = try await services.roles.get(call, ["output": "extend", "selectUsers": "count", "sortfield": "name"])
        let rows: [[String: Any]] = (roles.arrayValue ?? []).map { role in
            [
                "id": role["roleid"]?.stringValue ?? "", "name": role["name"]?.stringValue ?? "",
                "type": viewer.t("type_" + (role["type"]?.stringValue ?? "1")), "users": role["users"]?.stringValue ?? "0",
                "readonly": role["readonly"]?.stringValue == "1",
            ]
        }
        return page("role_list", viewer, ["rows": rows, "zeroSelected": viewer.t("n_selected", "0")], flash: flash)
    }

    // MARK: - Form

    /// What the form shows: stored values when editing, posted ones when it comes back with errors.
    struct Values {
        var name = ""
        var type = "1"
        var readonly = false
        var apiAccess = true
        var apiMode = "0"
        /// API method patterns, one a line.
        var methods = ""
        /// Action statuses by name; an action not listed follows `defaultAccess`.
        var actions: [String: Bool] = [:]
        var defaultAccess = true

        init() {}

        init(_ role: JSON) {
            let rules = role["rules"]
            name = role["name"]?.stringValue ?? ""
            type = role["type"]?.stringValue ?? "1"
            readonly = role["readonly"]?.stringValue == "1"
            apiAccess = rules?["api.access"]?.stringValue != "0"
            apiMode = rules?["api.mode"]?.stringValue ?? "0"
            methods = (rules?["api"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: "\n")
            for action in rules?["actions"]?.arrayValue ?? [] {
                if let name = action["name"]?.stringValue { actions[name] = action["status"]?.stringValue == "1" }
            }
            defaultAccess = rules?["actions.default_access"]?.stringValue != "0"
        }

        init(_ form: FormData) {
            name = form["name"] ?? ""
            type = form["type"] ?? ""
            apiAccess = form["api_access"] == "1"
            apiMode = form["api_mode"] ?? "0"
            methods = form["api_methods"] ?? ""
            for action in RoleCatalog.actions(type: 3) {
                if let status = form["action.\(action)"] { actions[action] = status == "1" }
            }
            defaultAccess = form["actions_default_access"] == "1"
        }

        /// The actions the form offers for the chosen user type.
        var availableActions: [String] { RoleCatalog.actions(type: Int(type) ?? 1) }

        /// The `rules` of role.create/update; actions the form did not show keep their stored or default status.
        var rules: JSON {
            let list: [JSON] = availableActions.compactMap { name in
                actions[name].map { ["name": .string(name), "status": .int($0 ? 1 : 0)] }
            }
            let patterns = methods.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            return [
                "api.access": .int(apiAccess ? 1 : 0), "api.mode": RolePages.number(apiMode), "api": .array(patterns.map { .string($0) }),
                "actions": .array(list), "actions.default_access": .int(defaultAccess ? 1 : 0),
            ]
        }
    }

    func form(_ viewer: Viewer, _ call: CallContext, id: String?) async throws -> Response {
        guard let id else { return render(viewer, Values(), id: nil) }
        guard let role = try await role(call, id) else { throw WebFailure.forbidden }
        return render(viewer, Values(role), id: id)
    }

    private func role(_ call: CallContext, _ id: String) async throws -> JSON? {
        try await services.roles.get(call, ["roleids": [.string(id)], "output": "extend", "selectRules": "extend"]).arrayValue?.first
    }

    private func render(_ viewer: Viewer, _ values: Values, id: String?, flash: Flash? = nil) -> Response {
        let data: [String: Any] = [
            "form": [
                "name": values.name, "readonly": values.readonly, "apiAccess": values.apiAccess, "allowList": values.apiMode == "1",
                "methods": values.methods, "defaultAccess": values.defaultAccess,
            ],
            "types": selectOptions((1...3).map { (String($0), viewer.t("type_\($0)")) }, selected: values.type),
            "actions": values.availableActions.map { name -> [String: Any] in
                ["name": name, "label": viewer.t("action_" + name), "checked": values.actions[name] ?? values.defaultAccess]
            },
            "editing": id != nil, "id": id ?? "", "action": id.map { "\(base)/\($0)/update" } ?? "\(base)/create",
        ]
        return page("role_form", viewer, data, flash: flash)
    }

    // MARK: - Create, update

    func save(_ viewer: Viewer, _ call: CallContext, _ form: FormData, id: String?, secure: Bool) async throws -> Response {
        var values = Values(form)
        if let id {
            guard let role = try await role(call, id) else { throw WebFailure.forbidden }
            values.readonly = role["readonly"]?.stringValue == "1"
        }
        var fields: JSONObject = ["name": .string(values.name), "type": Self.number(values.type), "rules": values.rules]
        if let id { fields["roleid"] = .string(id) }
        do {
            if id == nil {
                _ = try await services.roles.create(call, .object(fields))
            } else {
                _ = try await services.roles.update(call, .object(fields))
            }
            return done(id == nil ? "role_added" : "role_updated", secure: secure)
        } catch let error as APIError {
            return render(
                viewer,
                values,
                id: id,
                flash: Flash(ok: false, title: id == nil ? "cannot_add_role" : "cannot_update_role", details: [error.message])
            )
        }
    }

    func delete(_ call: CallContext, _ ids: JSON) async throws { _ = try await services.roles.delete(call, ids) }
}
