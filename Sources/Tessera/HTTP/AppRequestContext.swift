import Hummingbird
import NIOCore

/// The per-request context of the HTTP layer: Hummingbird's core storage plus who is calling and how.
struct AppRequestContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?
    /// The caller's IP address as the audit log records it: the peer, or the client a trusted proxy
    /// names (`ClientMiddleware`).
    var clientIP: String
    /// True when the caller reached us over TLS, directly or through a trusted proxy that says so.
    var isSecure = false

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
        self.clientIP = remoteAddress?.ipAddress ?? ""
    }

    /// JSON-RPC bodies may carry large batches.
    var maxUploadSize: Int { 16 * 1024 * 1024 }
}
