import Foundation
import Hummingbird

/// User settings → Profile: language, time zone, rows per page and the password, through the user service.
struct ProfilePage: Sendable {
    let web: WebSession
    var services: Services { web.services }

    func addRoutes(to router: some RouterMethods<AppRequestContext>) {
        router.get("user/profile") { request, _ in try await self.show(request) }
        router.post("user/profile") { request, context in try await self.save(request, context) }
    }

    /// The posted profile form (the guest's language cannot be changed).
    struct Form: PostedForm {
        var csrf: String?
        var lang: String?
        var timezone: String?
        var rowsPerPage: String?
        var password1: String?
        var password2: String?
        var currentPassword: String?

        enum CodingKeys: String, CodingKey {
            case csrf, lang, timezone, password1, password2
            case rowsPerPage = "rows_per_page"
            case currentPassword = "current_password"
        }
    }

    struct View {
        let username: String
        let languages: [OptionView]
        let timezones: [OptionView]
        let rowsPerPage: String
    }

    private func show(_ request: Request, viewer given: Viewer? = nil, flash: Flash? = nil, values: Form? = nil) async throws -> Response {
        let viewer: Viewer
        if let given { viewer = given } else { viewer = try await web.viewer(request) }
        let lang = values?.lang ?? viewer.account.lang
        let zone = values?.timezone ?? viewer.account.timezone
        let languages = [
            ("default", viewer.t("system_default")), ("en_US", "English (en_US)"), ("en_GB", "English (en_GB)"), ("nl_NL", "Nederlands (nl_NL)"),
        ]
        let view = View(
            username: viewer.account.username,
            languages: OptionView.list(languages, selected: lang),
            timezones: OptionView.timeZones(first: ("default", viewer.t("system_default")), selected: zone),
            rowsPerPage: values?.rowsPerPage ?? String(viewer.account.rowsPerPage)
        )
        return web.renderer.page(
            "profile",
            title: viewer.t("profile"),
            viewer: viewer,
            strings: viewer.strings,
            views: [view],
            flash: flash ?? WebSession.flash(request),
            active: "profile"
        )
    }

    private func save(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        var request = request
        let form = try await request.form(Form.self)
        let viewer = try await web.poster(request, form)
        var fields = UserFields(given: [])
        if !viewer.account.isGuest, let lang = form.lang {
            fields.lang = lang
            fields.given.append(.lang)
        }
        if let zone = form.timezone {
            fields.timezone = zone
            fields.given.append(.timezone)
        }
        if let rows = form.rowsPerPage {
            guard let number = Int64(rows) else {
                return try await show(
                    request,
                    viewer: viewer,
                    flash: Flash(ok: false, title: "cannot_update_profile", details: [viewer.t("field_integer_expected", "rows_per_page")]),
                    values: form
                )
            }
            fields.rowsPerPage = number
            fields.given.append(.rowsPerPage)
        }
        let password = form.password1 ?? ""
        if !password.isEmpty || !(form.password2 ?? "").isEmpty {
            guard password == form.password2 else {
                return try await show(
                    request,
                    viewer: viewer,
                    flash: Flash(ok: false, title: "cannot_update_profile", details: [viewer.t("passwords_differ")]),
                    values: form
                )
            }
            fields.password = password
            fields.currentPassword = form.currentPassword ?? ""
            fields.given.append(.passwd)
        }
        do {
            try await services.users.update([(viewer.principal.id, fields)], by: viewer.context(services, ip: context.clientIP))
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
