import HTTPTypes
import Hummingbird

/// Works out who is calling and whether over TLS, before any handler runs. `X-Forwarded-For` and
/// `X-Forwarded-Proto` are believed only from the proxies the operator named (`--trusted-proxy`):
/// from anyone else they could forge the audit log's IP addresses. Answers over TLS carry HSTS, so
/// that a browser that has seen the site once never tries it over plain HTTP again.
struct ClientMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let trustedProxies: Set<String>
    /// The server itself serves HTTPS.
    let tls: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.isSecure = tls
        if trustedProxies.contains(context.clientIP) {
            // The nearest address that is not one of our proxies is the client.
            let chain = request.headers[values: .forwardedFor].flatMap { $0.split(separator: ",") }
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            if let client = chain.last(where: { !trustedProxies.contains($0) }) ?? chain.first {
                context.clientIP = String(client.prefix(39))
            }
            if request.headers[.forwardedProto]?.lowercased() == "https" { context.isSecure = true }
        }
        guard context.isSecure else { return try await next(request, context) }
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        response.headers[.strictTransportSecurity] = Self.hsts
        return response
    }

    /// A year, as commonly required; subdomains are left to their own servers.
    static let hsts = "max-age=31536000"
}

extension HTTPField.Name {
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!
    static let forwardedProto = HTTPField.Name("X-Forwarded-Proto")!
}
