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

    /// One row of the list.
    struct Row {
        let id: String
        let username: String
        let name: String
        let surname: String
        let role: String
        let groups: String
        let frontend: String
        let enabled: Bool
    }

    func list(_ viewer: Viewer, _ call: CallContext, query: ListQuery, flash: Flash?) async throws -> Response {
        let rows = try await services.users.records(UserFilter(), by: call).map { user in
            Row(
                id: user.id.description,
                username: user.names.username,
                name: user.names.name,
                surname: user.names.surname,
                role: user.roleName ?? "",
                groups: user.groups.map(\.name).joined(separator: ", "),
                frontend: viewer.t("gui_\(user.guiAccess.rawValue)"),
                enabled: !user.isDisabled
            )
        }
        return listPage("user_list", viewer, try await table(rows, Self.layout, viewer, call, query: query), flash: flash)
    }

    static let layout = ListTable<Row>.Layout(
        base: "/users",
        profilePrefix: "web.users.",
        columns: [
            .sorted("username", by: "username"), .sorted("name", by: "name"), .sorted("surname", by: "surname"),
            .sorted("user_role", by: "role"), .plain("groups"), .plain("frontend_access"), .plain("status"),
        ],
        defaultSort: "username"
    ) { key, a, b in
        switch key {
        case "name": return ListTable<Row>.naturally(a.name, b.name)
        case "surname": return ListTable<Row>.naturally(a.surname, b.surname)
        case "role": return ListTable<Row>.naturally(a.role, b.role)
        default: return ListTable<Row>.naturally(a.username, b.username)
        }
    }

    // MARK: - Form

    /// The posted user form (the guest's language select is disabled, so not posted).
    struct Form: PostedForm {
        var csrf: String?
        var username: String?
        var name: String?
        var surname: String?
        var usrgrps: [String]?
        var roleid: String?
        var lang: String?
        var timezone: String?
        var rowsPerPage: String?
        var autologout: String?
        var password1: String?
        var password2: String?
        var currentPassword: String?

        enum CodingKeys: String, CodingKey {
            case csrf, username, name, surname, usrgrps, roleid, lang, timezone, autologout, password1, password2
            case rowsPerPage = "rows_per_page"
            case currentPassword = "current_password"
        }
    }

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

        init(_ user: UserRecord) {
            username = user.names.username
            name = user.names.name
            surname = user.names.surname
            usrgrpids = user.groups.map(\.id.description)
            roleid = user.role?.description ?? ""
            lang = user.lang
            timezone = user.timezone
            rowsPerPage = String(user.rowsPerPage)
            autologout = user.autologout
        }

        /// The posted values (passwords are never sent back to the browser).
        init(_ form: Form) {
            username = form.username ?? ""
            name = form.name ?? ""
            surname = form.surname ?? ""
            usrgrpids = digitsOnly(form.usrgrps)
            roleid = form.roleid ?? ""
            lang = form.lang ?? "default"
            timezone = form.timezone ?? "default"
            rowsPerPage = form.rowsPerPage ?? ""
            autologout = form.autologout ?? ""
        }
    }

    struct FormView {
        let form: Values
        /// The user groups the form offers, ticked where the user is a member.
        let groups: [ChoiceView]
        let roles: [OptionView]
        let languages: [OptionView]
        let timezones: [OptionView]
        /// Whether the user is the guest, whose language cannot be set.
        let guest: Bool
        /// Whether the viewer edits themselves (changing the password then needs the current one).
        let ownAccount: Bool
        let editing: Bool
        let id: String
        let action: String
    }

    func form(_ viewer: Viewer, _ call: CallContext, id: String?) async throws -> Response {
        guard let id else { return try await render(viewer, call, Values(), id: nil, guest: false) }
        guard let user = try await user(call, id) else { throw WebFailure.notFound }
        return try await render(viewer, call, Values(user), id: id, guest: user.names.username == "guest")
    }

    private func user(_ call: CallContext, _ id: String) async throws -> UserRecord? {
        guard let id = UserID(id) else { return nil }
        return try await services.users.record(id, by: call)
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
        let groups = try await services.userGroups.groups(UserGroupQuery(orderedByName: true), by: call).map(\.group)
        let roles = try await services.roles.roles(RoleQuery(orderedByName: true), by: call).map(\.role)
        let languages = ["default"] + UserService.supportedLocales.subtracting(["default"]).sorted()
        func label(_ code: String) -> String { code == "default" ? viewer.t("system_default") : code }
        let view = FormView(
            form: values,
            groups: groups.map { ChoiceView(value: $0.id.description, label: $0.name, checked: values.usrgrpids.contains($0.id.description)) },
            roles: OptionView.list(roles.map { ($0.id.description, $0.name) }, selected: values.roleid),
            languages: OptionView.list(languages.map { ($0, label($0)) }, selected: values.lang),
            timezones: OptionView.timeZones(first: ("default", viewer.t("system_default")), selected: values.timezone),
            guest: guest,
            ownAccount: id == viewer.principal.userid,
            editing: id != nil,
            id: id ?? "",
            action: id.map { "\(base)/\($0)/update" } ?? "\(base)/create"
        )
        return page("user_form", viewer, view, flash: flash)
    }

    // MARK: - Create, update

    func save(_ viewer: Viewer, _ call: CallContext, _ form: Form, id: String?, secure: Bool) async throws -> Response {
        var guest = false
        if let id {
            guard let user = try await user(call, id) else { throw WebFailure.notFound }
            guest = user.names.username == "guest"
        }
        let values = Values(form)
        let failed = id == nil ? "cannot_add_user" : "cannot_update_user"
        let password = form.password1 ?? ""
        guard password == form.password2 ?? "" else {
            return try await render(
                viewer,
                call,
                values,
                id: id,
                guest: guest,
                flash: Flash(ok: false, title: failed, details: [viewer.t("passwords_differ")])
            )
        }
        guard let rowsPerPage = Int64(values.rowsPerPage) else {
            return try await render(
                viewer,
                call,
                values,
                id: id,
                guest: guest,
                flash: Flash(ok: false, title: failed, details: [viewer.t("field_integer_expected", "rows_per_page")])
            )
        }
        var fields = UserFields(
            username: values.username,
            name: values.name,
            surname: values.surname,
            password: password.isEmpty ? nil : password,
            autologout: values.autologout,
            lang: form.lang != nil ? values.lang : nil,
            rowsPerPage: rowsPerPage,
            timezone: values.timezone,
            role: RoleID(values.roleid),
            groups: values.usrgrpids.compactMap { UserGroupID($0) }
        )
        fields.given = [.username, .name, .surname, .usrgrps, .timezone, .rowsPerPage, .autologout]
        if fields.role != nil { fields.given.append(.roleid) }
        if fields.lang != nil { fields.given.append(.lang) }
        if fields.password != nil {
            fields.given.append(.passwd)
            fields.currentPassword = form.currentPassword
        }
        do {
            if let id = id.flatMap({ UserID($0) }) {
                try await services.users.update([(id, fields)], by: call)
            } else {
                _ = try await services.users.create([fields], by: call)
            }
            return done(id == nil ? "user_added" : "user_updated", secure: secure)
        } catch let error as APIError {
            return try await render(viewer, call, values, id: id, guest: guest, flash: Flash(ok: false, title: failed, details: [error.message]))
        }
    }

    func delete(_ call: CallContext, _ ids: JSON) async throws {
        try await services.users.delete((ids.arrayValue ?? []).compactMap { $0.stringValue.flatMap { UserID($0) } }, by: call)
    }
}
