import Foundation
import NIOSSL
import PostgresNIO

extension PostgresStore {
    /// Opens one connection outside the pool and closes it again, so that a start-up can tell why
    /// PostgreSQL cannot be used: the pool itself only retries quietly. Throws `DatabaseUnavailable`
    /// while the server may still come (nothing listens yet, it is starting up), and a
    /// `ConfigurationError` that says what to fix when trying again cannot help: the server has no
    /// TLS but `sslmode` needs it, its certificate does not verify, it refused the user, the password,
    /// the client certificate or the database. The messages name the server, never the password.
    public func checkConnection() async throws {
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(configuration: connectionConfiguration, id: 0, logger: logger)
        } catch {
            throw Self.startupFailure(error, url: url)
        }
        try? await connection.close()
    }

    /// Tries `checkConnection` for up to `limit` while the server may still come; throws its
    /// `ConfigurationError` at once, or one saying that nothing answered within `limit`.
    public func waitForConnection(within limit: Duration) async throws {
        let deadline = ContinuousClock.now + limit
        while true {
            do {
                return try await checkConnection()
            } catch is DatabaseUnavailable {
                guard ContinuousClock.now < deadline else { throw ConfigurationError("no answer within \(limit)") }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    /// What a failed first connection means (see `checkConnection`).
    static func startupFailure(_ error: any Error, url: PostgresURL) -> any Error {
        guard let error = error as? PSQLError else { return DatabaseUnavailable() }
        let server = "the PostgreSQL server at \(url.endpoint)"
        switch error.code {
        case .sslUnsupported:
            return ConfigurationError(
                "\(server) does not accept TLS connections, and sslmode=\(url.tls.mode.rawValue) needs TLS:"
                    + " turn on ssl in its postgresql.conf, or use sslmode=prefer or sslmode=disable in the database URL"
            )
        case .server:
            let state = error.serverInfo?[.sqlState] ?? ""
            // Connection exceptions, shutting down or starting up, too many connections: it may pass.
            if state.hasPrefix("08") || state.hasPrefix("57") || state.hasPrefix("53") { return DatabaseUnavailable() }
            return ConfigurationError("\(server) refused the connection: \(error.serverInfo?[.message] ?? "SQLSTATE \(state)")")
        default:
            if let tls = error.underlying.flatMap({ tlsFailure($0, url: url) }) { return ConfigurationError("\(server): \(tls)") }
            return DatabaseUnavailable()
        }
    }

    /// A TLS handshake's failure in words, or nil when `error` is not one.
    private static func tlsFailure(_ error: any Error, url: PostgresURL) -> String? {
        if let error = error as? NIOSSLExtraError, error == .failedToValidateHostname {
            return "its certificate is not valid for the host name in the database URL (sslmode=verify-full checks it)"
        }
        guard error is NIOSSLError || error is BoringSSLError else { return nil }
        let text = String(describing: error)
        if text.contains("CERTIFICATE_VERIFY_FAILED") {
            let roots = url.tls.rootCertificate.map { $0 == "system" ? "the system's trusted roots" : $0 } ?? "sslrootcert"
            return "its certificate does not verify against \(roots) (sslmode=\(url.tls.mode.rawValue))"
        }
        // BoringSSL's reason, e.g. `TLSV1_ALERT_UNKNOWN_CA` when the server does not trust the client certificate.
        let reason = text.range(of: "OPENSSL_internal:").map { String(text[$0.upperBound...].prefix { $0.isLetter || $0.isNumber || $0 == "_" }) }
        if let reason, let certificate = url.tls.certificate, reason.contains("ALERT"),
            reason.contains("CERTIFICATE") || reason.contains("UNKNOWN_CA")
        {
            return "it refused the client certificate \(certificate) (TLS alert \(reason))"
        }
        return "the TLS handshake failed (\(reason ?? text))"
    }
}
