import Hummingbird

/// The API token pages: Users → API tokens (Super admins, every user's tokens) and User settings →
/// API tokens (anyone whose role may manage tokens, own tokens only). Both call `TokenService`, which
/// holds every rule; these pages only turn forms into its typed values and render what it returns.
struct TokenPages: Sendable {
    enum Variant: Sendable {
        case admin
        case own

        var base: String { self == .admin ? "/tokens" : "/user/tokens" }
        var profilePrefix: String { self == .admin ? "web.token." : "web.user.token." }
        var menu: String { self == .admin ? "tokens" : "my-tokens" }
        /// The page that shows a new value once.
        var valuePath: String { base + "/view" }
        /// Under User settings only the viewer's own tokens, even for a Super admin.
        var onlyOwn: Bool { self == .own }

        func allowed(_ viewer: Viewer) -> Bool {
            self == .admin ? viewer.permissions.mayAdministerTokens : viewer.permissions.mayUseOwnTokenPages
        }
    }

    let web: WebSession
    var services: Services { web.services }
    var renderer: Renderer { web.renderer }

    func addRoutes(to router: some RouterMethods<AppRequestContext>) {
        let list = TokenListPage(pages: self)
        let form = TokenFormPage(pages: self)
        for variant in [Variant.admin, .own] {
            func path(_ suffix: String = "") -> RouterPath { RouterPath(stringLiteral: variant.base + suffix) }
            router.get(path()) { request, context in try await list.show(request, context, variant) }
            router.get(path("/new")) { request, context in try await form.new(request, context, variant) }
            router.get(path("/:id/edit")) { request, context in try await form.edit(request, context, variant) }
            router.post(path("/create")) { request, context in try await form.create(request, context, variant) }
            router.get(path("/view")) { request, context in try await form.showValue(request, context, variant) }
            router.post(path("/:id/update")) { request, context in
                try await form.update(request, context, variant)
            }
            for action in MassAction.allCases {
                router.post(path("/" + action.rawValue)) { request, context in
                    try await self.mass(request, context, variant, action)
                }
            }
        }
    }

    /// The signed-in viewer, if the page is theirs to see.
    func viewer(_ request: Request, _ variant: Variant) async throws -> Viewer {
        let viewer = try await web.viewer(request)
        guard variant.allowed(viewer) else { throw WebFailure.forbidden }
        return viewer
    }

    /// The viewer of a form post with its CSRF token, if the page is theirs to use.
    func poster<Form: PostedForm>(_ request: inout Request, _ variant: Variant, _: Form.Type) async throws -> (Viewer, Form) {
        let form = try await request.form(Form.self)
        let viewer = try await web.poster(request, form)
        guard variant.allowed(viewer) else { throw WebFailure.forbidden }
        return (viewer, form)
    }

    func render(_ template: String, _ viewer: Viewer, _ variant: Variant, _ views: Any..., flash: Flash? = nil) -> Response {
        renderer.page(
            template,
            title: viewer.t("api_tokens"),
            viewer: viewer,
            strings: viewer.strings,
            views: views,
            flash: flash,
            active: variant.menu
        )
    }

    // MARK: - Enable, disable, delete

    /// The tokens a mass action is for (`tokenids[]`, Zabbix's name).
    struct Selection: PostedForm {
        var csrf: String?
        var tokenids: [String]?
    }

    enum MassAction: String, CaseIterable, Sendable {
        case enable
        case disable
        case delete

        /// The message titles for one token and for several, done and failed.
        func titles(one: Bool) -> (done: String, failed: String) {
            let noun = one ? "token" : "tokens"
            switch self {
            case .enable: return ("\(noun)_enabled", "cannot_enable_\(noun)")
            case .disable: return ("\(noun)_disabled", "cannot_disable_\(noun)")
            case .delete: return ("\(noun)_deleted", "cannot_delete_\(noun)")
            }
        }
    }

    private func mass(_ request: Request, _ context: AppRequestContext, _ variant: Variant, _ action: MassAction) async throws -> Response {
        var request = request
        let (viewer, form) = try await poster(&request, variant, Selection.self)
        let ids = digitsOnly(form.tokenids).compactMap { TokenID($0) }
        let titles = action.titles(one: ids.count == 1)
        let call = viewer.context(services, ip: context.clientIP)
        let flash: Flash
        do {
            switch action {
            case .delete: try await services.tokens.delete(ids, by: call, onlyOwn: variant.onlyOwn)
            case .enable: try await services.tokens.setStatus(.enabled, of: ids, by: call, onlyOwn: variant.onlyOwn)
            case .disable: try await services.tokens.setStatus(.disabled, of: ids, by: call, onlyOwn: variant.onlyOwn)
            }
            flash = Flash(ok: true, title: titles.done)
        } catch let error as APIError {
            flash = Flash(ok: false, title: titles.failed, details: [error.message])
        }
        return Renderer.redirect(variant.base, flash: flash, secure: context.isSecure)
    }
}
