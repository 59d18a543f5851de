import Foundation
import Hummingbird

/// Administration → General and Administration → Authentication: the settings that `settings.update`
/// and `authentication.update` change, checked by the same rules (`SettingsAPI`) and stored by the
/// same service, for Super admins whose role opens the page.
struct SettingsPages: Sendable {
    let web: WebSession
    var services: Services { web.services }

    enum Section: String, CaseIterable, Sendable {
        case general
        case authentication

        var path: String { "/administration/\(rawValue)" }
        var menu: String { rawValue }
        var title: String { "menu_\(rawValue)" }
        var group: SettingsService.Group { self == .general ? .settings : .authentication }

        func allowed(_ viewer: Viewer) -> Bool {
            self == .general ? viewer.permissions.mayAdministerGeneral : viewer.permissions.mayAdministerAuthentication
        }
    }

    /// Both pages' forms (each posts its own fields). `auditlog_enabled` is a checkbox, the password
    /// rules are one checkbox a bit.
    struct Form: PostedForm {
        var csrf: String?
        var searchLimit: String?
        var defaultLang: String?
        var defaultTimezone: String?
        var loginAttempts: String?
        var loginBlock: String?
        var auditlogEnabled: String?
        var passwdMinLength: String?
        var passwdCheckRules: [String]?

        enum CodingKeys: String, CodingKey {
            case csrf
            case searchLimit = "search_limit"
            case defaultLang = "default_lang"
            case defaultTimezone = "default_timezone"
            case loginAttempts = "login_attempts"
            case loginBlock = "login_block"
            case auditlogEnabled = "auditlog_enabled"
            case passwdMinLength = "passwd_min_length"
            case passwdCheckRules = "passwd_check_rules"
        }

        /// The API's params for the section, as the page posts them.
        func params(_ section: Section) -> JSONObject {
            func text(_ value: String?) -> JSON { .string(value ?? "") }
            switch section {
            case .general:
                return [
                    "search_limit": text(searchLimit), "default_lang": text(defaultLang), "default_timezone": text(defaultTimezone),
                    "login_attempts": text(loginAttempts), "login_block": text(loginBlock), "auditlog_enabled": auditlogEnabled == "1" ? "1" : "0",
                ]
            case .authentication:
                let bits = (passwdCheckRules ?? []).compactMap { Int($0) }.filter { [1, 2, 4, 8].contains($0) }
                return ["passwd_min_length": text(passwdMinLength), "passwd_check_rules": .string(String(Set(bits).reduce(0, +)))]
            }
        }
    }

    struct View {
        let general: Bool
        let action: String
        let heading: String
        let values: [String: String]
        let languages: [OptionView]
        let timezones: [OptionView]
        let auditEnabled: Bool
        /// The password rules, a checkbox a bit.
        let rules: [ChoiceView]
    }

    func addRoutes(to router: some RouterMethods<AppRequestContext>) {
        for section in Section.allCases {
            router.get(RouterPath(stringLiteral: section.path)) { request, _ in
                let viewer = try await web.viewer(request)
                guard section.allowed(viewer) else { throw WebFailure.forbidden }
                return render(viewer, section, values: viewer.settings.values, flash: WebSession.flash(request))
            }
            router.post(RouterPath(stringLiteral: section.path)) { request, context in
                var request = request
                let form = try await request.form(Form.self)
                let viewer = try await web.poster(request, form)
                guard section.allowed(viewer) else { throw WebFailure.forbidden }
                return try await save(viewer, section, form, context)
            }
        }
    }

    private func save(_ viewer: Viewer, _ section: Section, _ form: Form, _ context: AppRequestContext) async throws -> Response {
        let params = form.params(section)
        do {
            let values = try SettingsAPI.checked(.object(params), section.group)
            _ = try await services.settings.update(values, section.group, by: viewer.context(services, ip: context.clientIP))
            return Renderer.redirect(section.path, flash: Flash(ok: true, title: "settings_updated"), secure: context.isSecure)
        } catch let error as APIError {
            var shown = viewer.settings.values
            for (name, value) in params.pairs { shown[name] = value.scalarText ?? "" }
            return render(viewer, section, values: shown, flash: Flash(ok: false, title: "cannot_update_settings", details: [error.message]))
        }
    }

    private func render(_ viewer: Viewer, _ section: Section, values: [String: String], flash: Flash?) -> Response {
        let languages = UserService.supportedLocales.subtracting(["default"]).sorted().map { ($0, $0) }
        let rules = Int(values["passwd_check_rules"] ?? "") ?? 0
        let view = View(
            general: section == .general,
            action: section.path,
            heading: viewer.t(section.title),
            values: values,
            languages: OptionView.list(languages, selected: values["default_lang"] ?? ""),
            timezones: OptionView.timeZones(first: ("system", viewer.t("system_default")), selected: values["default_timezone"] ?? ""),
            auditEnabled: values["auditlog_enabled"] == "1",
            rules: [(1, "rule_case"), (2, "rule_digits"), (4, "rule_special"), (8, "rule_simple")].map {
                ChoiceView(value: String($0.0), label: viewer.t($0.1), checked: rules & $0.0 != 0)
            }
        )
        return web.renderer.page(
            "settings_form",
            title: viewer.t(section.title),
            viewer: viewer,
            strings: viewer.strings,
            views: [view],
            flash: flash,
            active: section.menu
        )
    }
}
