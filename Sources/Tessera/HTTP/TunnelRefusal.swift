import HTTPTypes
import Hummingbird

/// Answers `CONNECT` with 405 instead of a 404 page. A response to CONNECT gets no body framing from
/// the HTTP encoder (it would open a tunnel) and the parser reads nothing after a CONNECT head, so the
/// answer has no body and says `Connection: close`; the connection itself ends at the idle timeout.
struct TunnelRefusal<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .connect else { return try await next(request, context) }
        return Response(status: .methodNotAllowed, headers: [.connection: "close", .contentLength: "0"])
    }
}
