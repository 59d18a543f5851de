import Hummingbird

/// Everything the browser sees, loaded once at start-up.
public struct WebUI: Sendable {
    let renderer: Renderer
    let assets: Assets

    public static func load() async throws -> WebUI {
        WebUI(renderer: try await Renderer.load(), assets: try Assets.load())
    }

    func addRoutes(to router: Router<AppRequestContext>, services: Services) {
        let web = WebSession(services: services, renderer: renderer)
        assets.addRoutes(to: router)
        let scoped = router.group().add(middleware: CookieScope.Middleware())
        UserLookup(web: web).addRoutes(to: scoped)
        let pages = scoped.group().add(middleware: WebFailurePages(web: web))
        LoginPages(web: web).addRoutes(to: pages)
        TokenPages(web: web).addRoutes(to: pages)
        ProfilePage(web: web).addRoutes(to: pages)
        UserPages(web: web).addRoutes(to: pages)
        RolePages(web: web).addRoutes(to: pages)
        GroupPages(web: web).addRoutes(to: pages)
        SettingsPages(web: web).addRoutes(to: pages)
    }
}
