import Hummingbird
import NIOCore

/// The per-request context of the HTTP layer: Hummingbird's core storage plus who is calling and how.
public struct AppRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    /// The caller's IP address as the audit log records it: the peer, or the client a trusted proxy
    /// names (`ClientMiddleware`).
    var clientIP: String
    /// True when the caller reached us over TLS, directly or through a trusted proxy that says so.
    var isSecure = false

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
        self.clientIP = remoteAddress?.ipAddress ?? ""
    }

    /// JSON-RPC bodies may carry large batches.
    public var maxUploadSize: Int { 16 * 1024 * 1024 }
}
