import Foundation
import Hummingbird

/// Administration → User roles: list, create, edit and delete roles through `RoleService`, which holds
/// every rule. The form covers the user type, API access (with its allow or deny list of methods) and
/// the actions.
struct RolePages: AdminPage {
    let web: WebSession
    let base = "/roles"
    let menu = "roles"
    let title = "menu_user_roles"
    let nouns = (one: "role", many: "roles")

    func allowed(_ viewer: Viewer) -> Bool { viewer.permissions.mayAdministerRoles }

    /// One row of the list.
    struct Row {
        let id: String
        let name: String
        let type: String
        let users: String
        let readonly: Bool
    }

    func list(_ viewer: Viewer, _ call: CallContext, query: ListQuery, flash: Flash?) async throws -> Response {
        let roles = try await services.roles.roles(RoleQuery(users: .count), by: call)
        let rows = roles.map { listing in
            Row(
                id: listing.role.id.description,
                name: listing.role.name,
                type: viewer.t("type_\(listing.role.type.rawValue)"),
                users: String(listing.userCount ?? 0),
                readonly: listing.role.readonly
            )
        }
        return listPage("role_list", viewer, try await table(rows, Self.layout, viewer, call, query: query), flash: flash)
    }

    static let layout = ListTable<Row>.Layout(
        base: "/roles",
        profilePrefix: "web.roles.",
        columns: [.sorted("name", by: "name"), .sorted("user_type", by: "type"), .plain("users")],
        defaultSort: "name"
    ) { key, a, b in
        key == "type" ? ListTable<Row>.naturally(a.type, b.type) : ListTable<Row>.naturally(a.name, b.name)
    }

    // MARK: - Form

    /// The posted role form. The action boxes post the names of the ticked ones; `shown_type` is the
    /// user type whose actions the page showed, so a box left unticked is told from one not shown (the
    /// type can be changed in the form without the page showing that type's actions).
    struct Form: PostedForm {
        var csrf: String?
        var name: String?
        var type: String?
        var apiAccess: String?
        var apiMode: String?
        var apiMethods: String?
        var shownType: String?
        var actions: [String]?
        var actionsDefaultAccess: String?

        enum CodingKeys: String, CodingKey {
            case csrf, name, type, actions
            case apiAccess = "api_access"
            case apiMode = "api_mode"
            case apiMethods = "api_methods"
            case shownType = "shown_type"
            case actionsDefaultAccess = "actions_default_access"
        }
    }

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

        init(_ role: Role, _ rules: RuleSet) {
            name = role.name
            type = String(role.type.rawValue)
            readonly = role.readonly
            apiAccess = rules.apiAccess
            apiMode = String(rules.apiMode.rawValue)
            methods = rules.api.joined(separator: "\n")
            for action in rules.actionStatuses(type: role.type) { actions[action.name] = action.allowed }
            defaultAccess = rules.actionsDefault
        }

        init(_ form: Form) {
            name = form.name ?? ""
            type = form.type ?? ""
            apiAccess = form.apiAccess == "1"
            apiMode = form.apiMode ?? "0"
            methods = form.apiMethods ?? ""
            let ticked = Set(form.actions ?? [])
            for action in form.shownType.flatMap({ Int($0) }).map({ RoleCatalog.actions(type: $0) }) ?? [] {
                actions[action] = ticked.contains(action)
            }
            defaultAccess = form.actionsDefaultAccess == "1"
        }

        /// The actions the form offers for the chosen user type.
        var availableActions: [String] { RoleCatalog.actions(type: Int(type) ?? 1) }

        /// The rules the form sets; actions the form did not show keep their stored or default status.
        func rules(mode: APIMode) -> RoleRulesChange {
            let patterns = methods.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            return RoleRulesChange(
                apiAccess: apiAccess,
                apiMode: mode,
                api: patterns,
                actions: availableActions.compactMap { name in actions[name].map { RuleEntry(name, allowed: $0) } },
                actionsDefaultAccess: defaultAccess
            )
        }
    }

    struct FormView {
        let form: Values
        /// Whether the method list allows (rather than denies) the methods it names.
        let allowList: Bool
        let types: [OptionView]
        let actions: [ChoiceView]
        let editing: Bool
        let id: String
        let action: String
    }

    func form(_ viewer: Viewer, _ call: CallContext, id: String?) async throws -> Response {
        guard let id else { return render(viewer, Values(), id: nil) }
        let listing = try await role(call, id)
        return render(viewer, Values(listing.role, listing.rules ?? RuleSet()), id: id)
    }

    /// The role of the page's `:id` with its rules; 404 for one that does not exist.
    private func role(_ call: CallContext, _ id: String) async throws -> RoleListing {
        guard let roleid = RoleID(id), let listing = try await services.roles.roles(RoleQuery(ids: [roleid], withRules: true), by: call).first
        else { throw WebFailure.notFound }
        return listing
    }

    private func render(_ viewer: Viewer, _ values: Values, id: String?, flash: Flash? = nil) -> Response {
        let view = FormView(
            form: values,
            allowList: values.apiMode == "1",
            types: OptionView.list((1...3).map { (String($0), viewer.t("type_\($0)")) }, selected: values.type),
            actions: values.availableActions.map { name in
                ChoiceView(value: name, label: viewer.t("action_" + name), checked: values.actions[name] ?? values.defaultAccess)
            },
            editing: id != nil,
            id: id ?? "",
            action: id.map { "\(base)/\($0)/update" } ?? "\(base)/create"
        )
        return page("role_form", viewer, view, flash: flash)
    }

    // MARK: - Create, update

    func save(_ viewer: Viewer, _ call: CallContext, _ form: Form, id: String?, secure: Bool) async throws -> Response {
        var values = Values(form)
        var stored: Role?
        if let id {
            let role = try await role(call, id).role
            stored = role
            values.readonly = role.readonly
        }
        do {
            // The fields in the order the API checks them: the name, the type, then the rules.
            try RoleService.checkName(values.name, item: 1)
            let type: UserType = try Self.choice(values.type, RoleAPI.typeRule, path: "/1/type") ?? .user
            let mode: APIMode = try Self.choice(values.apiMode, RoleAPI.statusRule, path: "/1/rules/api.mode") ?? .deny
            let rules = values.rules(mode: mode)
            if let stored {
                try await services.roles.update([RoleChange(id: stored.id, name: values.name, type: type, rules: rules)], by: call)
            } else {
                _ = try await services.roles.create([RoleDraft(name: values.name, type: type, rules: rules)], by: call)
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

    func delete(_ call: CallContext, _ ids: JSON) async throws {
        try await services.roles.delete(try ParamShape.idList(ids).compactMap { RoleID($0) }, by: call)
    }
}
