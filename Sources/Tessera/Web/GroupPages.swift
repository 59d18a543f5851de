import Foundation
import Hummingbird

/// Administration → User groups: list, create, edit and delete groups through `UserGroupService`, which
/// holds every rule. A group's status and frontend access apply to its members (a disabled group signs
/// its users out).
struct GroupPages: AdminPage {
    let web: WebSession
    let base = "/usergroups"
    let menu = "usergroups"
    let title = "menu_user_groups"
    let nouns = (one: "group", many: "groups")

    func allowed(_ viewer: Viewer) -> Bool { viewer.permissions.mayAdministerGroups }

    /// One row of the list.
    struct Row {
        let id: String
        let name: String
        /// `username (name surname)` of each member, by userid.
        let members: String
        let frontend: String
        let enabled: Bool
        let debug: Bool
    }

    func list(_ viewer: Viewer, _ call: CallContext, query: ListQuery, flash: Flash?) async throws -> Response {
        let groups = try await services.userGroups.groups(UserGroupQuery(members: .init()), by: call)
        let members = groups.flatMap { $0.members ?? [] }.map(\.id)
        let names = try await services.users.displayNames(of: Array(Set(members)), by: call)
        let rows = groups.map { listing in
            Row(
                id: listing.group.id.description,
                name: listing.group.name,
                members: (listing.members ?? []).compactMap { names[$0.id] }.joined(separator: ", "),
                frontend: viewer.t("gui_\(listing.group.guiAccess.rawValue)"),
                enabled: listing.group.status == .enabled,
                debug: listing.group.debugMode == .enabled
            )
        }
        return listPage("group_list", viewer, try await table(rows, Self.layout, viewer, call, query: query), flash: flash)
    }

    static let layout = ListTable<Row>.Layout(
        base: "/usergroups",
        profilePrefix: "web.usergroups.",
        columns: [.sorted("name", by: "name"), .plain("members"), .plain("frontend_access"), .plain("status"), .plain("debug_mode")],
        defaultSort: "name"
    ) { _, a, b in ListTable<Row>.naturally(a.name, b.name) }

    // MARK: - Form

    /// The posted group form.
    struct Form: PostedForm {
        var csrf: String?
        var name: String?
        var users: [String]?
        var guiAccess: String?
        /// Ticked ("0", enabled) or absent (disabled), as Zabbix's `users_status`.
        var usersStatus: String?
        var debugMode: String?

        enum CodingKeys: String, CodingKey {
            case csrf, name, users
            case guiAccess = "gui_access"
            case usersStatus = "users_status"
            case debugMode = "debug_mode"
        }
    }

    /// What the form shows: stored values when editing, posted ones when it comes back with errors.
    struct Values {
        var name = ""
        var userids: [String] = []
        var guiAccess = "0"
        var enabled = true
        var debug = false

        init() {}

        init(_ listing: UserGroupListing) {
            name = listing.group.name
            userids = (listing.members ?? []).map(\.id.description)
            guiAccess = String(listing.group.guiAccess.rawValue)
            enabled = listing.group.status == .enabled
            debug = listing.group.debugMode == .enabled
        }

        init(_ form: Form) {
            name = form.name ?? ""
            userids = digitsOnly(form.users)
            guiAccess = form.guiAccess ?? "0"
            enabled = form.usersStatus == "0"
            debug = form.debugMode == "1"
        }
    }

    struct FormView {
        let form: Values
        /// The users the form offers as members.
        let users: [ChoiceView]
        let guiAccess: [OptionView]
        let editing: Bool
        let id: String
        let action: String
    }

    func form(_ viewer: Viewer, _ call: CallContext, id: String?) async throws -> Response {
        guard let id else { return try await render(viewer, call, Values(), id: nil) }
        guard let groupid = UserGroupID(id),
            let listing = try await services.userGroups.groups(UserGroupQuery(ids: [groupid], members: .init()), by: call).first
        else { throw WebFailure.notFound }
        return try await render(viewer, call, Values(listing), id: id)
    }

    private func render(_ viewer: Viewer, _ call: CallContext, _ values: Values, id: String?, flash: Flash? = nil) async throws -> Response {
        let candidates = try await services.userGroups.memberCandidates(by: call)
        let view = FormView(
            form: values,
            users: candidates.map { user in
                ChoiceView(value: user.id.description, label: user.names.fullName, checked: values.userids.contains(user.id.description))
            },
            guiAccess: OptionView.list((0...3).map { (String($0), viewer.t("gui_\($0)")) }, selected: values.guiAccess),
            editing: id != nil,
            id: id ?? "",
            action: id.map { "\(base)/\($0)/update" } ?? "\(base)/create"
        )
        return page("group_form", viewer, view, flash: flash)
    }

    // MARK: - Create, update

    func save(_ viewer: Viewer, _ call: CallContext, _ form: Form, id: String?, secure: Bool) async throws -> Response {
        let values = Values(form)
        do {
            // The fields in the order the API checks them: the id, the name, the frontend access, the members.
            let groupid: UserGroupID? = try id.map { text throws(APIError) in try Self.checkedID(text, path: "/1/usrgrpid") }
            try UserGroupService.checkName(values.name, item: 1)
            let guiAccess: GUIAccess = try Self.choice(values.guiAccess, UserGroupAPI.guiAccessRule, path: "/1/gui_access") ?? .systemDefault
            var members: [UserID] = []
            for (index, userid) in values.userids.enumerated() { members.append(try Self.checkedID(userid, path: "/1/users/\(index + 1)/userid")) }
            let status: GroupStatus = values.enabled ? .enabled : .disabled
            let debugMode: DebugMode = values.debug ? .enabled : .disabled
            if let groupid {
                let change = UserGroupChange(
                    id: groupid,
                    name: values.name,
                    guiAccess: guiAccess,
                    status: status,
                    debugMode: debugMode,
                    members: members
                )
                try await services.userGroups.update([change], by: call)
            } else {
                let draft = UserGroupDraft(name: values.name, guiAccess: guiAccess, status: status, debugMode: debugMode, members: members)
                _ = try await services.userGroups.create([draft], by: call)
            }
            return done(id == nil ? "group_added" : "group_updated", secure: secure)
        } catch let error as APIError {
            let failed = id == nil ? "cannot_add_group" : "cannot_update_group"
            return try await render(viewer, call, values, id: id, flash: Flash(ok: false, title: failed, details: [error.message]))
        }
    }

    func delete(_ call: CallContext, _ ids: JSON) async throws {
        try await services.userGroups.delete(try ParamShape.idList(ids).compactMap { UserGroupID($0) }, by: call)
    }
}
