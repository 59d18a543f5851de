import Foundation
import HTTPTypes
import Hummingbird

/// Sessions of the web UI: the same `sessions` rows as the API, carried in an HttpOnly cookie, so any
/// instance on the same database serves any signed-in browser.
struct WebSession: Sendable {
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
        guard let sessionid = request.cookies[Self.cookie]?.value, sessionid.utf8.count == 32 else { throw WebFailure.signIn }
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
        guard let token = form.csrf, constantTimeEquals(token, viewer.csrf) else { throw WebFailure.badCSRF }
        return viewer
    }

    private func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// The message a previous redirect left for this page.
    static func flash(_ request: Request) -> Flash? {
        request.cookies[flashCookie].flatMap { Flash(cookieValue: $0.value) }
    }

    static func sessionCookie(_ value: String, secure: Bool, maxAge: Int? = nil) -> String {
        Cookie(name: cookie, value: value, maxAge: maxAge, path: "/", secure: secure, httpOnly: true, sameSite: .lax).description
    }
}
