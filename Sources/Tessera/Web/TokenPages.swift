import Foundation
import Hummingbird

/// The API token pages: Users → API tokens (Super admins, every user's tokens) and User settings →
/// API tokens (anyone whose role may manage tokens, own tokens only). Both call `TokenService`, which
/// holds every rule; these pages only translate forms into its parameters and render its answers.
struct TokenPages: Sendable {
    enum Variant: Sendable {
        case admin
        case own

        var base: String { self == .admin ? "/tokens" : "/user/tokens" }
        var profilePrefix: String { self == .admin ? "web.token." : "web.user.token." }
        var menu: String { self == .admin ? "tokens" : "my-tokens" }
        var sortKeys: [String] { self == .admin ? ["name", "user", "expires_at", "creator", "lastaccess", "status"] : ["name", "expires_at", "lastaccess", "status"] }

        func allowed(_ viewer: Viewer) -> Bool { self == .admin ? viewer.canAdministerTokens : viewer.canManageTokens }
    }

    let web: WebSession
    var services: Services { web.services }
    var renderer: Renderer { web.renderer }

    func addRoutes(to router: Router<AppRequestContext>) {
        for variant in [Variant.admin, .own] {
            func path(_ suffix: String = "") -> RouterPath { RouterPath(stringLiteral: variant.base + suffix) }
            router.get(path()) { request, context in await web.respond(request) { try await self.list(request, context, variant) } }
            router.get(path("/new")) { request, context in await web.respond(request) { try await self.newForm(request, context, variant) } }
            router.get(path("/:id/edit")) { request, context in await web.respond(request) { try await self.editForm(request, context, variant) } }
            router.post(path("/create")) { request, context in await web.respond(request) { try await self.create(request, context, variant) } }
            router.post(path("/:id/update")) { request, context in await web.respond(request) { try await self.update(request, context, variant) } }
            for action in ["enable", "disable", "delete"] {
                router.post(path("/" + action)) { request, context in
                    await web.respond(request) { try await self.mass(request, context, variant, action) }
                }
            }
        }
    }

    private func viewer(_ request: Request, _ variant: Variant) async throws -> Viewer {
        let viewer = try await web.viewer(request)
        guard variant.allowed(viewer) else { throw WebFailure.forbidden }
        return viewer
    }

    private func poster(_ request: inout Request, _ variant: Variant) async throws -> (Viewer, FormData) {
        let form = try await request.form()
        let viewer = try await web.poster(request, form)
        guard variant.allowed(viewer) else { throw WebFailure.forbidden }
        return (viewer, form)
    }

    // MARK: - List

    /// The list filter, remembered per user in the profile.
    struct Filter {
        var name = ""
        var userids: [String] = []
        var expiresState = false
        var expiresDays = 14
        var creatorids: [String] = []
        var status = -1

        static let keys = ["filter_name", "filter_userids", "filter_expires_state", "filter_expires_days", "filter_creator_userids", "filter_status"]

        init(_ stored: [String: String], prefix: String) {
            func value(_ key: String) -> String? { stored[prefix + key] }
            name = value("filter_name") ?? ""
            userids = value("filter_userids").map { $0.split(separator: ",").map(String.init) } ?? []
            expiresState = value("filter_expires_state") == "1"
            expiresDays = value("filter_expires_days").flatMap { Int($0) } ?? 14
            creatorids = value("filter_creator_userids").map { $0.split(separator: ",").map(String.init) } ?? []
            status = value("filter_status").flatMap { Int($0) } ?? -1
        }

        /// Profile values for a submitted filter form.
        static func submitted(_ query: FormData, prefix: String) -> [String: String?] {
            let days = query["filter_expires_days"].flatMap { Int($0) }.map { min(max($0, 0), 999) } ?? 14
            let status = query["filter_status"].flatMap { Int($0) }.flatMap { [-1, 0, 1].contains($0) ? $0 : nil } ?? -1
            return [
                prefix + "filter_name": query["filter_name"] ?? "",
                prefix + "filter_userids": query.ids("filter_userids[]").joined(separator: ","),
                prefix + "filter_expires_state": query["filter_expires_state"] == "1" ? "1" : "0",
                prefix + "filter_expires_days": String(days),
                prefix + "filter_creator_userids": query.ids("filter_creator_userids[]").joined(separator: ","),
                prefix + "filter_status": String(status),
                prefix + "page": "1",
            ]
        }
    }

    private func list(_ request: Request, _ context: AppRequestContext, _ variant: Variant) async throws -> Response {
        let viewer = try await viewer(request, variant)
        let prefix = variant.profilePrefix, userid = viewer.account.userid
        let query = request.query
        var updates: [String: String?] = [:]
        if query["filter_set"] != nil { updates = Filter.submitted(query, prefix: prefix) }
        if query["filter_rst"] != nil {
            for key in Filter.keys { updates[prefix + key] = .some(nil) }
            updates[prefix + "page"] = "1"
        }
        if let sort = query["sort"], variant.sortKeys.contains(sort) {
            updates[prefix + "sort"] = sort
            updates[prefix + "sortorder"] = query["sortorder"] == "DESC" ? "DESC" : "ASC"
        }
        if let page = query["page"].flatMap({ Int($0) }), page > 0 { updates[prefix + "page"] = String(page) }
        let changes = updates
        if !changes.isEmpty {
            try await services.database.transaction { db in try await ProfileRepository.store(db, userid: userid, changes) }
        }
        let stored = try await services.database.read { db in try await ProfileRepository.values(db, userid: userid, prefix: prefix) }
        let filter = Filter(stored, prefix: prefix)
        let call = viewer.context(services, ip: context.clientIP)

        // The query, as Zabbix's list controller builds it.
        let searchLimit = max(1, viewer.settings.int("search_limit"))
        var params: JSONObject = [
            "output": ["tokenid", "name", "userid", "expires_at", "created_at", "creator_userid", "lastaccess", "status"],
            "limit": .int(searchLimit + 1),
        ]
        if !filter.name.isEmpty { params["search"] = ["name": .string(filter.name)] }
        if variant == .own {
            params["userids"] = [.string(userid)]
        } else if !filter.userids.isEmpty {
            params["userids"] = .array(filter.userids.map { .string($0) })
        }
        if filter.expiresState {
            params["valid_at"] = .int(call.now)
            params["expired_at"] = .int(call.now + Int64(filter.expiresDays) * 86400)
        }
        var exact = JSONObject()
        if variant == .admin, !filter.creatorids.isEmpty { exact["creator_userid"] = .array(filter.creatorids.map { .string($0) }) }
        if filter.status != -1 { exact["status"] = .int(filter.status) }
        if !exact.isEmpty { params["filter"] = .object(exact) }
        let tokens = try await services.tokens.get(call, .object(params)).arrayValue ?? []

        var names: [String: String] = [:]
        if variant == .admin {
            let ids = Set(tokens.flatMap { [$0["userid"]?.stringValue, $0["creator_userid"]?.stringValue].compactMap { $0 } } + filter.userids + filter.creatorids)
            names = try await userLabels(call, Array(ids))
        }

        // Sort (natural, case-insensitive; missing values first) and page.
        let sortKey = stored[prefix + "sort"].flatMap { variant.sortKeys.contains($0) ? $0 : nil } ?? "name"
        let order = stored[prefix + "sortorder"] == "DESC" ? "DESC" : "ASC"
        func text(_ token: JSON, _ key: String) -> String {
            switch key {
            case "user": return names[token["userid"]?.stringValue ?? ""] ?? ""
            case "creator": return names[token["creator_userid"]?.stringValue ?? ""] ?? ""
            default: return token[key]?.stringValue ?? ""
            }
        }
        let numeric: Set<String> = ["expires_at", "lastaccess", "status"]
        var sorted = tokens.sorted { a, b in
            if numeric.contains(sortKey) { return (Int64(text(a, sortKey)) ?? 0) < (Int64(text(b, sortKey)) ?? 0) }
            return text(a, sortKey).localizedStandardCompare(text(b, sortKey)) == .orderedAscending
        }
        if order == "DESC" { sorted.reverse() }
        let total = min(sorted.count, searchLimit)
        let perPage = viewer.rowsPerPage
        let pageCount = max(1, (total + perPage - 1) / perPage)
        let page = min(max(1, Int(stored[prefix + "page"] ?? "1") ?? 1), pageCount)
        let shown = Array(sorted.prefix(searchLimit).dropFirst((page - 1) * perPage).prefix(perPage))
        let totalText = sorted.count > searchLimit ? "\(total)+" : "\(total)"
        let summary = pageCount == 1
            ? viewer.t("displaying_one_page", String(shown.count), totalText)
            : viewer.t("displaying_range", String((page - 1) * perPage + 1), String((page - 1) * perPage + shown.count), totalText)

        let now = call.now
        let rows: [[String: Any]] = shown.map { token in
            let expiresAt = Int64(token["expires_at"]?.stringValue ?? "0") ?? 0
            let lastaccess = Int64(token["lastaccess"]?.stringValue ?? "0") ?? 0
            let creator = token["creator_userid"]?.stringValue ?? "0"
            return [
                "tokenid": token["tokenid"]?.stringValue ?? "", "name": token["name"]?.stringValue ?? "",
                "user": names[token["userid"]?.stringValue ?? ""] ?? "",
                "expiresAt": expiresAt == 0 ? viewer.t("never") : viewer.dates.format(expiresAt),
                "expired": expiresAt != 0 && now > expiresAt,
                "createdAt": viewer.dates.format(Int64(token["created_at"]?.stringValue ?? "0") ?? 0),
                "creator": names[creator] ?? "", "hasCreator": creator != "0" && names[creator] != nil,
                "lastAccess": lastaccess == 0 ? viewer.t("never") : viewer.dates.format(lastaccess),
                "enabled": token["status"]?.stringValue == "0",
                "base": variant.base, "admin": variant == .admin,
            ]
        }
        let labels: [(String, String, Bool)] = variant == .admin
            ? [("name", "name", true), ("user", "user", true), ("expires_at", "expires_at", true), ("created_at", "", false),
               ("created_by_user", "creator", true), ("last_accessed_at", "lastaccess", true), ("status", "status", true)]
            : [("name", "name", true), ("expires_at", "expires_at", true), ("created_at", "", false), ("last_accessed_at", "lastaccess", true),
               ("status", "status", true)]
        let columns: [[String: Any]] = labels.map { label, key, sortable in
            let current = key == sortKey
            let next = current && order == "ASC" ? "DESC" : "ASC"
            return ["label": viewer.t(label), "sortable": sortable, "key": key, "current": current, "order": order,
                    "href": "\(variant.base)?sort=\(key)&sortorder=\(next)"]
        }
        let pages: [[String: Any]] = pageCount > 1
            ? (1...pageCount).map { ["number": $0, "href": "\(variant.base)?page=\($0)", "current": $0 == page] } : []
        let data: [String: Any] = [
            "base": variant.base, "admin": variant == .admin, "rows": rows, "columns": columns, "columnCount": columns.count + 1,
            "summary": summary, "pages": pages, "hasPages": !pages.isEmpty, "zeroSelected": viewer.t("n_selected", "0"),
            "filterOpen": true,
            "filter": [
                "name": filter.name, "expiresState": filter.expiresState, "expiresDays": filter.expiresDays,
                "statusAny": filter.status == -1, "statusEnabled": filter.status == 0, "statusDisabled": filter.status == 1,
                "users": filter.userids.map { ["userid": $0, "label": names[$0] ?? $0] },
                "creators": filter.creatorids.map { ["userid": $0, "label": names[$0] ?? $0] },
            ] as [String: Any],
        ]
        return renderer.page("token_list", title: viewer.t("api_tokens"), viewer: viewer, strings: viewer.strings, data: data,
                             flash: WebSession.flash(request), active: variant.menu)
    }

    /// `username (name surname)` of the given users that the viewer may see.
    private func userLabels(_ call: CallContext, _ ids: [String]) async throws -> [String: String] {
        guard !ids.isEmpty else { return [:] }
        let users = try await services.users.get(call, ["userids": .array(ids.map { .string($0) }), "output": ["username", "name", "surname"]])
        var labels: [String: String] = [:]
        for user in users.arrayValue ?? [] {
            labels[user["userid"]!.stringValue!] = Viewer.fullName(
                user["username"]?.stringValue ?? "", user["name"]?.stringValue ?? "", user["surname"]?.stringValue ?? "")
        }
        return labels
    }

    // MARK: - Form

    /// What the form shows: posted values when it comes back with errors, stored ones when editing.
    struct FormValues {
        var name = ""
        var userid = ""
        var userLabel = ""
        var description = ""
        var expiresState = true
        var expiresAt = ""
        var enabled = true

        var dictionary: [String: Any] {
            ["name": name, "userid": userid, "hasUser": !userid.isEmpty, "userLabel": userLabel, "description": description,
             "expiresState": expiresState, "expiresAt": expiresAt, "enabled": enabled]
        }
    }

    private func newForm(_ request: Request, _ context: AppRequestContext, _ variant: Variant) async throws -> Response {
        let viewer = try await viewer(request, variant)
        // A sensible default instead of an empty required date: four weeks from now.
        let values = FormValues(
            userid: viewer.account.userid, userLabel: viewer.displayName,
            expiresAt: viewer.dates.format(services.clock.now + 28 * 86400))
        return renderForm(viewer, variant, values, tokenid: nil)
    }

    private func editForm(_ request: Request, _ context: AppRequestContext, _ variant: Variant) async throws -> Response {
        let viewer = try await viewer(request, variant)
        guard let id = context.parameters.get("id"), let token = try await token(viewer, context, variant, id) else { throw WebFailure.forbidden }
        let expiresAt = Int64(token["expires_at"]?.stringValue ?? "0") ?? 0
        let userid = token["userid"]?.stringValue ?? ""
        let labels = variant == .admin ? try await userLabels(viewer.context(services, ip: context.clientIP), [userid]) : [:]
        let values = FormValues(
            name: token["name"]?.stringValue ?? "", userid: userid, userLabel: labels[userid] ?? userid,
            description: token["description"]?.stringValue ?? "", expiresState: expiresAt != 0,
            expiresAt: expiresAt == 0 ? "" : viewer.dates.format(expiresAt), enabled: token["status"]?.stringValue == "0")
        return renderForm(viewer, variant, values, tokenid: id)
    }

    /// A token the viewer may edit on this page (the own variant only ever shows the viewer's own).
    private func token(_ viewer: Viewer, _ context: AppRequestContext, _ variant: Variant, _ id: String) async throws -> JSON? {
        guard id.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), !id.isEmpty else { return nil }
        var params: JSONObject = ["tokenids": [.string(id)], "output": "extend"]
        if variant == .own { params["userids"] = [.string(viewer.account.userid)] }
        return try await services.tokens.get(viewer.context(services, ip: context.clientIP), .object(params)).arrayValue?.first
    }

    private func renderForm(_ viewer: Viewer, _ variant: Variant, _ values: FormValues, tokenid: String?, flash: Flash? = nil) -> Response {
        let data: [String: Any] = [
            "form": values.dictionary, "admin": variant == .admin, "editing": tokenid != nil, "tokenid": tokenid ?? "",
            "base": variant.base, "action": tokenid.map { "\(variant.base)/\($0)/update" } ?? "\(variant.base)/create",
        ]
        return renderer.page("token_form", title: viewer.t("api_tokens"), viewer: viewer, strings: viewer.strings, data: data, flash: flash,
                             active: variant.menu)
    }

    /// Reads the posted form; returns the values to show again and either the API fields or the field errors.
    private func read(_ form: FormData, _ viewer: Viewer, _ variant: Variant, creating: Bool) -> (FormValues, JSONObject?, [String]) {
        var values = FormValues()
        values.name = form["name"] ?? ""
        values.description = form["description"] ?? ""
        values.expiresState = form["expires_state"] == "1"
        values.expiresAt = form["expires_at"] ?? ""
        values.enabled = form["status"] == "0"
        values.userid = variant == .own ? viewer.account.userid : (form["userid"] ?? "")
        var errors: [String] = []
        var fields: JSONObject = [:]
        if form["name"] == nil {
            errors.append(viewer.t("field_mandatory", "name"))
        } else if values.name.isEmpty {
            errors.append(viewer.t("field_cannot_be_empty", "name"))
        }
        fields["name"] = .string(values.name)
        if creating {
            if values.userid.isEmpty { errors.append(viewer.t("field_mandatory", "userid")) }
            fields["userid"] = .string(values.userid)
        }
        fields["description"] = .string(values.description)
        if values.expiresState {
            if form["expires_at"] == nil || values.expiresAt.isEmpty {
                errors.append(values.expiresAt.isEmpty && form["expires_at"] != nil
                              ? viewer.t("field_time_expected", "expires_at") : viewer.t("field_mandatory", "expires_at"))
            } else if let time = viewer.dates.parse(values.expiresAt) {
                fields["expires_at"] = .int(time)
            } else {
                errors.append(viewer.t("field_time_expected", "expires_at"))
            }
        } else {
            fields["expires_at"] = 0
        }
        fields["status"] = values.enabled ? 0 : 1
        return (values, errors.isEmpty ? fields : nil, errors)
    }

    // MARK: - Create, update, regenerate

    private func create(_ request: Request, _ context: AppRequestContext, _ variant: Variant) async throws -> Response {
        var request = request
        let (viewer, form) = try await poster(&request, variant)
        var (values, fields, errors) = read(form, viewer, variant, creating: true)
        if variant == .admin, !values.userid.isEmpty {
            values.userLabel = try await userLabels(viewer.context(services, ip: context.clientIP), [values.userid])[values.userid] ?? values.userid
        }
        guard let fields else {
            return renderForm(viewer, variant, values, tokenid: nil, flash: Flash(ok: false, title: "cannot_add_token", details: errors))
        }
        let call = viewer.context(services, ip: context.clientIP)
        do {
            let id = try await services.tokens.create(call, .object(fields))["tokenids"]!.arrayValue![0]
            let value = try await services.tokens.generate(call, [id]).arrayValue![0]["token"]!.stringValue!
            return view(viewer, variant, values, fields: fields, token: value, flash: Flash(ok: true, title: "token_added"), now: call.now)
        } catch let error as APIError {
            return renderForm(viewer, variant, values, tokenid: nil, flash: Flash(ok: false, title: "cannot_add_token", details: [error.message]))
        }
    }

    private func update(_ request: Request, _ context: AppRequestContext, _ variant: Variant) async throws -> Response {
        var request = request
        let (viewer, form) = try await poster(&request, variant)
        guard let id = context.parameters.get("id"), let token = try await token(viewer, context, variant, id) else { throw WebFailure.forbidden }
        var (values, fields, errors) = read(form, viewer, variant, creating: false)
        values.userid = token["userid"]?.stringValue ?? ""
        if variant == .admin {
            values.userLabel = try await userLabels(viewer.context(services, ip: context.clientIP), [values.userid])[values.userid] ?? values.userid
        }
        guard var fields else {
            return renderForm(viewer, variant, values, tokenid: id, flash: Flash(ok: false, title: "cannot_update_token", details: errors))
        }
        fields["tokenid"] = .string(id)
        let call = viewer.context(services, ip: context.clientIP)
        do {
            _ = try await services.tokens.update(call, .object(fields))
            if form["regenerate"] == "1" {
                let value = try await services.tokens.generate(call, [.string(id)]).arrayValue![0]["token"]!.stringValue!
                return view(viewer, variant, values, fields: fields, token: value, flash: Flash(ok: true, title: "token_updated"), now: call.now)
            }
            return Renderer.redirect(variant.base, flash: Flash(ok: true, title: "token_updated"), secure: context.isSecure)
        } catch let error as APIError {
            return renderForm(viewer, variant, values, tokenid: id, flash: Flash(ok: false, title: "cannot_update_token", details: [error.message]))
        }
    }

    /// The one page that shows a token's value: rendered straight into the response of the post that
    /// made it, with `no-store`, so reloading or going back cannot show it again.
    private func view(_ viewer: Viewer, _ variant: Variant, _ values: FormValues, fields: JSONObject, token: String, flash: Flash, now: Int64) -> Response {
        let expiresAt = fields["expires_at"]?.scalarText.flatMap { Int64($0) } ?? 0
        let data: [String: Any] = [
            "name": values.name, "user": values.userLabel, "token": token, "admin": variant == .admin, "base": variant.base,
            "expiresAt": expiresAt == 0 ? "-" : viewer.dates.format(expiresAt), "expired": expiresAt != 0 && now > expiresAt,
            "description": values.description, "enabled": values.enabled,
        ]
        return renderer.page("token_view", title: viewer.t("api_tokens"), viewer: viewer, strings: viewer.strings, data: data, flash: flash,
                             active: variant.menu)
    }

    // MARK: - Enable, disable, delete

    private func mass(_ request: Request, _ context: AppRequestContext, _ variant: Variant, _ action: String) async throws -> Response {
        var request = request
        let (viewer, form) = try await poster(&request, variant)
        let ids = form.ids("tokenids[]")
        let one = ids.count == 1
        let call = viewer.context(services, ip: context.clientIP)
        let (done, failed): (String, String)
        switch action {
        case "enable": (done, failed) = one ? ("token_enabled", "cannot_enable_token") : ("tokens_enabled", "cannot_enable_tokens")
        case "disable": (done, failed) = one ? ("token_disabled", "cannot_disable_token") : ("tokens_disabled", "cannot_disable_tokens")
        default: (done, failed) = one ? ("token_deleted", "cannot_delete_token") : ("tokens_deleted", "cannot_delete_tokens")
        }
        let flash: Flash
        do {
            if variant == .own, !ids.isEmpty {
                // Under User settings only the viewer's own tokens, even for a Super admin.
                let own = try await services.tokens.get(call, [
                    "tokenids": .array(ids.map { .string($0) }), "userids": [.string(viewer.account.userid)], "countOutput": true,
                ])
                guard own == .string(String(Set(ids).count)) else { throw APIError.noPermissions }
            }
            switch action {
            case "delete": _ = try await services.tokens.delete(call, .array(ids.map { .string($0) }))
            default:
                let status = action == "enable" ? 0 : 1
                _ = try await services.tokens.update(call, .array(ids.map { ["tokenid": .string($0), "status": .int(status)] }))
            }
            flash = Flash(ok: true, title: done)
        } catch let error as APIError {
            flash = Flash(ok: false, title: failed, details: [error.message])
        }
        return Renderer.redirect(variant.base, flash: flash, secure: context.isSecure)
    }
}
