import HTTPTypes
import Hummingbird
import NIOCore

/// The HTTP side of `/api_jsonrpc.php` (token spec §4.1): content types, CORS, OPTIONS.
struct JSONRPCController {
    let endpoint: JSONRPCEndpoint

    static let path = "api_jsonrpc.php"
    static let contentTypes: Set<String> = ["application/json-rpc", "application/json", "application/jsonrequest"]

    func addRoutes(to router: Router<AppRequestContext>) {
        // Like Zabbix's api_jsonrpc.php, every method but OPTIONS is a call.
        for method in [HTTPRequest.Method.post, .get, .put, .patch, .delete] {
            router.on(RouterPath(stringLiteral: Self.path), method: method) { request, context in try await self.call(request, context) }
        }
        router.on(RouterPath(stringLiteral: Self.path), method: .options) { _, _ in
            Response(status: .ok, headers: Self.corsHeaders)
        }
    }

    static let corsHeaders: HTTPFields = [
        .accessControlAllowOrigin: "*",
        .accessControlAllowHeaders: "Content-Type, Authorization",
        .accessControlAllowMethods: "POST",
        .accessControlMaxAge: "1000",
    ]

    private static let replyHeaders: HTTPFields = {
        var headers = corsHeaders
        headers[.contentType] = "application/json"
        return headers
    }()

    private func call(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard Self.isCallContentType(request.headers[.contentType]) else {
            return Response(status: .preconditionFailed, headers: Self.corsHeaders)
        }
        var request = request
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        let reply = await endpoint.respond(to: Array(buffer: body), bearer: Self.bearer(request), ip: context.clientIP)
        return Response(status: .ok, headers: Self.replyHeaders, body: .init(byteBuffer: ByteBuffer(bytes: reply ?? [])))
    }

    /// The media type, without parameters and case-insensitively, is one of `contentTypes`.
    static func isCallContentType(_ value: String?) -> Bool {
        guard let value else { return false }
        if contentTypes.contains(value) { return true }  // as clients send it: no parsing needed
        let mediaType = value.split(separator: ";", maxSplits: 1).first.map { trimmed($0).lowercased() } ?? ""
        return contentTypes.contains(mediaType)
    }

    /// The credential of an `Authorization: Bearer …` header (Zabbix 6.4+ style), if any.
    static func bearer(_ request: Request) -> String? {
        guard let value = request.headers[.authorization] else { return nil }
        // The usual header, `Bearer ` and a 64-character token, is read without splitting.
        let token = value.utf8.dropFirst(7)
        if token.count == 64, value.hasPrefix("Bearer "), !token.contains(where: { $0 == 0x20 || $0 == 0x09 }) {
            return String(Substring(token))
        }
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let credential = trimmed(parts[1])
        return credential.isEmpty ? nil : String(credential)
    }

    /// Without the spaces and tabs around it (Foundation's trimming bridges through NSString: too slow here).
    private static func trimmed(_ text: Substring) -> Substring {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = text.firstIndex(where: { !isBlank($0) }), let last = text.lastIndex(where: { !isBlank($0) }) else {
            return ""
        }
        return text[first...last]
    }
}
