import Foundation
import Hummingbird

/// Sign in and sign out.
struct LoginPages: Sendable {
    let web: WebSession

    var services: Services { web.services }
    var renderer: Renderer { web.renderer }

    func addRoutes(to router: some RouterMethods<AppRequestContext>) {
        router.get("login") { request, _ in await self.form(request) }
        router.post("login") { request, context in try await self.signIn(request, context) }
        router.post("logout") { request, context in try await self.signOut(request, context) }
        router.get("/") { request, _ in await self.home(request) }
    }

    /// The sign-in form, with the name tried last.
    private struct View {
        let username: String
    }

    private func form(_ request: Request, username: String = "", flash: Flash? = nil) async -> Response {
        if flash == nil, (try? await web.viewer(request)) != nil { return Renderer.redirect("/") }
        let strings = await web.anonymousStrings()
        return renderer.page("login", title: strings["sign_in"] ?? "", viewer: nil, strings: strings, views: [View(username: username)], flash: flash)
    }

    /// The sign-in form.
    struct Credentials: Decodable {
        var username: String?
        var password: String?
    }

    /// Signs in; a post another site makes the browser send is refused before the password is read
    /// (login CSRF: it would sign the viewer in to the attacker's account).
    private func signIn(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard request.comesFromThisSite else { throw WebFailure.badCSRF }
        var request = request
        let form = try await request.form(Credentials.self)
        let username = form.username ?? ""
        let password = form.password ?? ""
        do {
            let signedIn = try await services.sessions.login(username: username, password: password, ip: context.clientIP, recordsetid: CUID.make())
            let sessionid = signedIn.sessionid
            let account = try await services.authenticator.authenticateSession(sessionid, extend: false)
            if account.guiAccess == .disabled {
                try? await services.database.transaction { db in
                    try await SessionRepository.terminate(db, sessionid: sessionid, userid: account.id)
                }
                return await self.form(request, username: username, flash: Flash(ok: false, title: "No permissions for system access."))
            }
            var response = Renderer.redirect("/")
            response.headers[.setCookie] = WebSession.sessionCookie(sessionid, secure: context.isSecure)
            return response
        } catch let error as APIError {
            return await self.form(request, username: username, flash: Flash(ok: false, title: error.message))
        }
    }

    /// Ends the session as `user.logout` does (with its audit record); a post without the session's CSRF
    /// token is refused (403) and ends nothing.
    private func signOut(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        var request = request
        let form = try await request.form(CSRFForm.self)
        let viewer: Viewer?
        do {
            viewer = try await web.poster(request, form)
        } catch WebFailure.signIn {
            viewer = nil  // no session left to end
        }
        if let viewer { try await services.sessions.logout(viewer.context(services, ip: context.clientIP)) }
        var response = Renderer.redirect("/login")
        response.headers[.setCookie] = WebSession.sessionCookie("", secure: context.isSecure, maxAge: 0)
        return response
    }

    /// The first page a viewer can use.
    private func home(_ request: Request) async -> Response {
        guard let viewer = try? await web.viewer(request) else { return Renderer.redirect("/login") }
        if viewer.permissions.mayAdministerTokens { return Renderer.redirect("/tokens") }
        if viewer.permissions.mayUseOwnTokenPages { return Renderer.redirect("/user/tokens") }
        return Renderer.redirect("/user/profile")
    }
}
