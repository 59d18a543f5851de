import Foundation
import HTTPTypes
import Hummingbird

/// Sessions of the web UI: the same `sessions` rows as the API, carried in an HttpOnly cookie, so any
/// instance on the same database serves any signed-in browser. Under TLS the cookies are named
/// `__Host-tessera_session` and `__Host-tessera_flash` (`CookieScope`), and only those are read.
struct WebSession: Sendable {
    /// The cookies' names without TLS (`CookieScope.name` gives the name for a request).
    static let cookie = "tessera_session"
    static let flashCookie = "tessera_flash"

    let services: Services
    let renderer: Renderer

    /// Texts for someone not signed in: the system default language.
    func anonymousStrings() async -> [String: String] {
        let settings = (try? await services.database.read { db in try await Settings.load(db) }) ?? Settings(values: [:])
        return renderer.catalog.strings(Catalog.code(for: "default", default: settings.string("default_lang")))
    }

    /// The viewer of a request, or `.signIn` when there is no live session.
    func viewer(_ request: Request) async throws -> Viewer {
        guard let sessionid = CookieScope.current.sessionid, sessionid.utf8.count == 32 else { throw WebFailure.signIn }
        let account: UserAccount
        do {
            account = try await services.authenticator.authenticateSession(sessionid, extend: true)
        } catch let error as APIError where error == .sessionTerminated {
            throw WebFailure.signIn
        }
        let rules = try await services.database.read { db in try await RoleRepository.rules(db, roleid: account.roleid) }
        let settings = try await services.database.read { db in try await Settings.load(db) }
        let code = Catalog.code(for: account.lang, default: settings.string("default_lang"))
        return Viewer(
            account: account,
            principal: account.principal(.session(sessionid), rules: rules),
            sessionid: sessionid,
            strings: renderer.catalog.strings(code),
            lang: code,
            dates: DateText(userZone: account.timezone, defaultZone: settings.string("default_timezone")),
            settings: settings
        )
    }

    /// The viewer of a form post whose CSRF token matches.
    func poster(_ request: Request, _ form: some PostedForm) async throws -> Viewer {
        let viewer = try await viewer(request)
        guard let token = form.csrf, Secrets.constantTimeEquals(token, viewer.csrf) else { throw WebFailure.badCSRF }
        return viewer
    }

    /// The message a previous redirect left for this page, if it was made for this browser's session.
    static func flash(_ request: Request) -> Flash? {
        let scope = CookieScope.current
        guard let sessionid = scope.sessionid, let value = request.cookies[CookieScope.name(flashCookie, secure: scope.secure)]?.value else {
            return nil
        }
        return Flash(cookieValue: value, sessionid: sessionid)
    }

    /// The cookie that carries `flash` to the next page, signed for the request's session; nil without
    /// one (every message follows a form post of a signed-in viewer).
    static func flashCookie(_ flash: Flash, secure: Bool) -> String? {
        guard let sessionid = CookieScope.current.sessionid else { return nil }
        return flashCookie(value: flash.cookieValue(signedFor: sessionid), maxAge: 60, secure: secure)
    }

    /// Removes the message once a page has shown it.
    static var clearedFlashCookie: String { flashCookie(value: "", maxAge: 0, secure: CookieScope.current.secure) }

    private static func flashCookie(value: String, maxAge: Int, secure: Bool) -> String {
        webCookie(flashCookie, value: value, maxAge: maxAge, secure: secure)
    }

    static func sessionCookie(_ value: String, secure: Bool, maxAge: Int? = nil) -> String {
        webCookie(cookie, value: value, maxAge: maxAge, secure: secure)
    }

    /// A cookie of the whole site, for scripts unreadable, named for the request's scheme.
    private static func webCookie(_ name: String, value: String, maxAge: Int?, secure: Bool) -> String {
        Cookie(name: CookieScope.name(name, secure: secure), value: value, maxAge: maxAge, path: "/", secure: secure, httpOnly: true, sameSite: .lax)
            .description
    }
}
