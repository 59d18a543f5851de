import Hummingbird
import NIOCore

/// The per-request context of the HTTP layer: Hummingbird's core storage plus the peer address.
public struct AppRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }

    /// JSON-RPC bodies may carry large batches.
    public var maxUploadSize: Int { 16 * 1024 * 1024 }

    /// The caller's IP address as the audit log records it.
    var clientIP: String { remoteAddress?.ipAddress ?? "" }
}
