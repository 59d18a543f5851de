import Foundation
import Hummingbird

/// User settings → Profile: language, time zone, rows per page and the password, through `user.update`.
struct ProfilePage: Sendable {
    let web: WebSession
    var services: Services { web.services }

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("user/profile") { request, _ in await web.respond(request) { try await self.show(request) } }
        router.post("user/profile") { request, context in await web.respond(request) { try await self.save(request, context) } }
    }

    private func show(_ request: Request, viewer given: Viewer? = nil, flash: Flash? = nil, values: FormData? = nil) async throws -> Response {
        let viewer: Viewer
        if let given { viewer = given } else { viewer = try await web.viewer(request) }
        let lang = values?["lang"] ?? viewer.account.string("lang")
        let zone = values?["timezone"] ?? viewer.account.string("timezone")
        let languages = [
            ("default", viewer.t("system_default")), ("en_US", "English (en_US)"), ("en_GB", "English (en_GB)"), ("nl_NL", "Nederlands (nl_NL)"),
        ]
        let zones = [("default", viewer.t("system_default"))] + TimeZone.knownTimeZoneIdentifiers.sorted().map { ($0, $0) }
        let data: [String: Any] = [
            "username": viewer.account.username,
            "languages": selectOptions(languages, selected: lang),
            "timezones": selectOptions(zones, selected: zone),
            "rowsPerPage": values?["rows_per_page"] ?? viewer.account.string("rows_per_page"),
        ]
        return web.renderer.page(
            "profile",
            title: viewer.t("profile"),
            viewer: viewer,
            strings: viewer.strings,
            data: data,
            flash: flash ?? WebSession.flash(request),
            active: "profile"
        )
    }

    private func save(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        var request = request
        let form = try await request.form()
        let viewer = try await web.poster(request, form)
        var fields: JSONObject = ["userid": .string(viewer.account.userid)]
        if viewer.account.username != "guest" {
            if let lang = form["lang"] { fields["lang"] = .string(lang) }
        }
        if let zone = form["timezone"] { fields["timezone"] = .string(zone) }
        if let rows = form["rows_per_page"] { fields["rows_per_page"] = Int(rows).map { .int($0) } ?? .string(rows) }
        let password = form["password1"] ?? ""
        if !password.isEmpty || !(form["password2"] ?? "").isEmpty {
            guard password == form["password2"] else {
                return try await show(
                    request,
                    viewer: viewer,
                    flash: Flash(ok: false, title: "cannot_update_profile", details: [viewer.t("passwords_differ")]),
                    values: form
                )
            }
            fields["passwd"] = .string(password)
        }
        do {
            _ = try await services.users.update(viewer.context(services, ip: context.clientIP), .object(fields))
            return Renderer.redirect("/user/profile", flash: Flash(ok: true, title: "profile_updated"), secure: context.isSecure)
        } catch let error as APIError {
            return try await show(
                request,
                viewer: viewer,
                flash: Flash(ok: false, title: "cannot_update_profile", details: [error.message]),
                values: form
            )
        }
    }
}
