import Hummingbird

/// Turns what stops a page handler into the page that says so: a `WebFailure` into its redirect or
/// error page, anything else (an unreachable database) into "Service unavailable". One place for every
/// page of the web UI (the API has its own error objects).
struct WebFailurePages: RouterMiddleware {
    typealias Context = AppRequestContext
    let web: WebSession

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let failure as WebFailure {
            let viewer = try? await web.viewer(request)
            let strings: [String: String]
            if let viewer { strings = viewer.strings } else { strings = await web.anonymousStrings() }
            return web.renderer.failure(failure, viewer: viewer, strings: strings)
        } catch {
            let strings = await web.anonymousStrings()
            return web.renderer.errorPage(
                "service_unavailable",
                "service_unavailable_text",
                status: .serviceUnavailable,
                viewer: nil,
                strings: strings
            )
        }
    }
}
