import HTTPTypes
import Hummingbird

/// Answers `CONNECT` with 405 and closes the connection. A response to CONNECT gets no body framing
/// from the HTTP encoder (it would open a tunnel), so without this a client waits for a body that
/// never ends.
struct TunnelRefusal<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .connect else { return try await next(request, context) }
        return Response(status: .methodNotAllowed, headers: [.connection: "close", .contentLength: "0"])
    }
}
