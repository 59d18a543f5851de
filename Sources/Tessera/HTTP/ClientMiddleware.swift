import HTTPTypes
import Hummingbird

/// Works out who is calling and whether over TLS, before any handler runs. `X-Forwarded-For` and
/// `X-Forwarded-Proto` are believed only from the proxies the operator named (`--trusted-proxy`):
/// from anyone else they could forge the audit log's IP addresses.
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
        return try await next(request, context)
    }
}

extension HTTPField.Name {
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!
    static let forwardedProto = HTTPField.Name("X-Forwarded-Proto")!
}
