import Hummingbird

/// What the web UI's cookies depend on in the request being answered: whether it came over TLS (the
/// cookies are then named with the `__Host-` prefix and marked `Secure`) and the session cookie it
/// carries under that name.
///
/// It is a task-local value, set by `CookieScope.Middleware` around every web route, because the
/// helpers that read and write cookies (`WebSession.viewer`, `WebSession.flash`, `Renderer.redirect`,
/// `Renderer.page`) are reached with the `Request` alone, not the context that knows about TLS.
struct CookieScope: Sendable {
    var secure = false
    /// The value of the session cookie of this scheme, when the request has one.
    var sessionid: String?

    @TaskLocal static var current = CookieScope()

    /// `name` as the browser keeps it: with `__Host-` under TLS, which makes the browser accept the
    /// cookie only from this host over HTTPS, for path `/` (a sibling subdomain or a plain-HTTP
    /// answer cannot plant a session or a message). Without TLS the name stays as it is, since
    /// browsers refuse `__Host-` cookies that are not `Secure`.
    static func name(_ name: String, secure: Bool) -> String { secure ? "__Host-" + name : name }

    /// Sets `current` for the handlers of the routes it is added to.
    struct Middleware: RouterMiddleware {
        typealias Context = AppRequestContext

        func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
            let secure = context.isSecure
            let sessionid = request.cookies[CookieScope.name(WebSession.cookie, secure: secure)]?.value
            return try await CookieScope.$current.withValue(CookieScope(secure: secure, sessionid: sessionid)) {
                try await next(request, context)
            }
        }
    }
}
