import Foundation
import Hummingbird

/// Administration → Users: list, create, edit and delete users through `user.*`.
struct UserPages: AdminPage {
    let web: WebSession
    let base = "/users"
    let menu = "users"
    let title = "menu_users"
    let nouns = (one: "user", many: "users")

    func allowed(_ viewer: Viewer) -> Bool { viewer.permissions.mayAdministerUsers }

    func list(_ viewer: Viewer, _ call: CallContext, flash: Flash?) async throws -> Response {
        let users = try await services.users.get(
            call,
            [
                "output": ["userid", "username", "name", "surname"], "selectUsrgrps": ["name"], "selectRole": ["name"], "getAccess": true,
                "sortfield": "username",
            ]
        )
        let rows: [[String: Any]] = (users.arrayValue ?? []).map { user in
            let groups = (user["usrgrps"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
            return [
                "id": user["userid"]?.stringValue ?? "", "username": user["username"]?.stringValue ?? "",
                "name": user["name"]?.stringValue ?? "", "surname": user["surname"]?.stringValue ?? "",
                "role": user["role"]?["name"]?.stringValue ?? "", "groups": groups.joined(separator: ", "),
                "frontend": viewer.t("gui_" + (user["gui_access"]?.stringValue ?? "0")), "enabled": user["users_status"]?.stringValue == "0",
            ]
        }
        return page("user_list", viewer, ["rows": rows, "zeroSelected": viewer.t("n_selected", "0")], flash: flash)
    }

    // MARK: - Form

    /// What the form shows: stored values when editing, posted ones when it comes back with errors.
    struct Values {
        var username = ""
        var name = ""
        var surname = ""
        var usrgrpids: [String] = []
        var roleid = ""
        var lang = "default"
        var timezone = "default"
        var rowsPerPage = "50"
        var autologout = "15m"

        init() {}

        init(_ user: JSON) {
            func text(_ key: String) -> String { user[key]?.stringValue ?? "" }
            username = text("username")
            name = text("name")
            surname = text("surname")
            usrgrpids = (user["usrgrps"]?.arrayValue ?? []).compactMap { $0["usrgrpid"]?.stringValue }
            roleid = text("roleid")
            lang = text("lang")
            timezone = text("timezone")
            rowsPerPage = text("rows_per_page")
            autologout = text("autologout")
        }

        /// The posted values (passwords are never sent back to the browser).
        init(_ form: FormData) {
            username = form["username"] ?? ""
            name = form["name"] ?? ""
            surname = form["surname"] ?? ""
            usrgrpids = form.ids("usrgrps[]")
            roleid = form["roleid"] ?? ""
            lang = form["lang"] ?? "default"
            timezone = form["timezone"] ?? "default"
            rowsPerPage = form["rows_per_page"] ?? ""
            autologout = form["autologout"] ?? ""
        }
    }

    func form(_ viewer: Viewer, _ call: CallContext, id: String?) async throws -> Response {
        guard let id else { return try await render(viewer, call, Values(), id: nil, guest: false) }
        guard let user = try await user(call, id) else { throw WebFailure.forbidden }
        return try await render(viewer, call, Values(user), id: id, guest: user["username"]?.stringValue == "guest")
    }

    private func user(_ call: CallContext, _ id: String) async throws -> JSON? {
        try await services.users.get(call, ["userids": [.string(id)], "output": "extend", "selectUsrgrps": ["usrgrpid"]]).arrayValue?.first
    }

    /// The guest's language cannot be set, so its select is shown disabled (and so not posted).
    private func render(
        _ viewer: Viewer,
        _ call: CallContext,
        _ values: Values,
        id: String?,
        guest: Bool,
        flash: Flash? = nil
    ) async throws -> Response {
        let groups = try await services.userGroups.get(call, ["output": ["usrgrpid", "name"], "sortfield": "name"]).arrayValue ?? []
        let roles = try await services.roles.get(call, ["output": ["roleid", "name"], "sortfield": "name"]).arrayValue ?? []
        let languages = ["default"] + UserService.supportedLocales.subtracting(["default"]).sorted()
        let zones = ["default"] + TimeZone.knownTimeZoneIdentifiers.sorted()
        func label(_ code: String) -> String { code == "default" ? viewer.t("system_default") : code }
        let data: [String: Any] = [
            "form": [
                "username": values.username, "name": values.name, "surname": values.surname, "rowsPerPage": values.rowsPerPage,
                "autologout": values.autologout,
            ],
            "groups": groups.map { group -> [String: Any] in
                let groupid = group["usrgrpid"]?.stringValue ?? ""
                return ["id": groupid, "name": group["name"]?.stringValue ?? "", "checked": values.usrgrpids.contains(groupid)]
            },
            "roles": selectOptions(roles.map { ($0["roleid"]?.stringValue ?? "", $0["name"]?.stringValue ?? "") }, selected: values.roleid),
            "languages": selectOptions(languages.map { ($0, label($0)) }, selected: values.lang),
            "timezones": selectOptions(zones.map { ($0, label($0)) }, selected: values.timezone),
            "guest": guest, "editing": id != nil, "id": id ?? "", "action": id.map { "\(base)/\($0)/update" } ?? "\(base)/create",
        ]
        return page("user_form", viewer, data, flash: flash)
    }

    // MARK: - Create, update

    func save(_ viewer: Viewer, _ call: CallContext, _ form: FormData, id: String?, secure: Bool) async throws -> Response {
        var guest = false
        if let id {
            guard let user = try await user(call, id) else { throw WebFailure.forbidden }
            guest = user["username"]?.stringValue == "guest"
        }
        let values = Values(form)
        let failed = id == nil ? "cannot_add_user" : "cannot_update_user"
        let password = form["password1"] ?? ""
        guard password == form["password2"] ?? "" else {
            return try await render(
                viewer,
                call,
                values,
                id: id,
                guest: guest,
                flash: Flash(ok: false, title: failed, details: [viewer.t("passwords_differ")])
            )
        }
        var fields: JSONObject = [
            "username": .string(values.username), "name": .string(values.name), "surname": .string(values.surname),
            "usrgrps": .array(values.usrgrpids.map { ["usrgrpid": .string($0)] }),
            "timezone": .string(values.timezone), "rows_per_page": Self.number(values.rowsPerPage), "autologout": .string(values.autologout),
        ]
        if let id { fields["userid"] = .string(id) }
        if !values.roleid.isEmpty { fields["roleid"] = .string(values.roleid) }
        if form["lang"] != nil { fields["lang"] = .string(values.lang) }
        if !password.isEmpty { fields["passwd"] = .string(password) }
        do {
            if id == nil {
                _ = try await services.users.create(call, .object(fields))
            } else {
                _ = try await services.users.update(call, .object(fields))
            }
            return done(id == nil ? "user_added" : "user_updated", secure: secure)
        } catch let error as APIError {
            return try await render(viewer, call, values, id: id, guest: guest, flash: Flash(ok: false, title: failed, details: [error.message]))
        }
    }

    func delete(_ call: CallContext, _ ids: JSON) async throws { _ = try await services.users.delete(call, ids) }
}
