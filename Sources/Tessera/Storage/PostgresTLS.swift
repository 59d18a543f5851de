import Foundation
import NIOSSL
import PostgresNIO

/// libpq's `sslmode` values that Tessera supports (`allow` is not: PostgresNIO cannot first try
/// without TLS and then with it).
enum SSLMode: String, CaseIterable, Sendable {
    /// No TLS.
    case disable
    /// TLS when the server offers it, else unencrypted; the certificate is not checked. The default, as in libpq.
    case prefer
    /// TLS or no connection; the certificate is not checked (unless `sslrootcert` is given, as in libpq).
    case require
    /// TLS, and the server's certificate chain must lead to `sslrootcert`.
    case verifyCA = "verify-ca"
    /// As `verify-ca`, and the certificate must name the host of the URL.
    case verifyFull = "verify-full"

    /// Whether a server without TLS is refused.
    var needsTLS: Bool { self != .disable && self != .prefer }
}

/// How the connections to PostgreSQL are protected: the `sslmode`, `sslrootcert`, `sslcert` and
/// `sslkey` parameters of the database URL, with libpq's meaning:
///
/// - with `sslrootcert` (a PEM file of CA certificates, or `system` for the system's trusted roots),
///   `prefer` and `require` check the chain as `verify-ca` does; `verify-ca` and `verify-full` need it;
/// - `verify-full` also checks that the certificate names the host: a DNS name in its subject
///   alternative names for a host name, an IP address entry for an address (NIOSSL also accepts an IP
///   address entry naming the address a host name led to, where libpq would not);
/// - `sslcert` and `sslkey` (PEM) are the client certificate offered when the server asks for one.
///
/// The files are read when the URL is parsed, with errors that name the parameter and the file.
struct PostgresTLS: Sendable {
    let mode: SSLMode
    /// The CA file, or `system`; nil when not given.
    let rootCertificate: String?
    /// The client certificate file; nil when not given.
    let certificate: String?
    /// For the pool, which builds its own contexts; nil for `disable`.
    private let configuration: TLSConfiguration?
    /// For single connections (the change listener, the start-up check); nil for `disable`.
    private let context: NIOSSLContext?

    init(mode text: String?, rootCertificate: String?, certificate: String?, key: String?) throws {
        guard let mode = SSLMode(rawValue: text ?? SSLMode.prefer.rawValue) else {
            let choices = "use disable, prefer, require, verify-ca or verify-full"
            if text == "allow" { throw ConfigurationError("sslmode \"allow\" is not supported (\(choices))") }
            throw ConfigurationError("invalid sslmode \"\(text ?? "")\" in the database URL (\(choices))")
        }
        self.mode = mode
        self.rootCertificate = rootCertificate
        self.certificate = certificate
        guard (certificate == nil) == (key == nil) else {
            throw ConfigurationError("sslcert and sslkey go together in the database URL: give both files or neither")
        }
        if rootCertificate == nil, mode == .verifyCA || mode == .verifyFull {
            throw ConfigurationError(
                "sslmode=\(mode.rawValue) needs sslrootcert in the database URL: the CA certificate file (PEM) of the server's certificate,"
                    + " or sslrootcert=system for the system's trusted roots"
            )
        }
        guard mode != .disable else {
            configuration = nil
            context = nil
            return
        }
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch (mode, rootCertificate) {
        case (.verifyFull, _): configuration.certificateVerification = .fullVerification
        case (_, nil): configuration.certificateVerification = .none
        default: configuration.certificateVerification = .noHostnameVerification
        }
        if let rootCertificate, rootCertificate != "system" {
            configuration.trustRoots = .certificates(try Self.certificates(in: rootCertificate, parameter: "sslrootcert"))
        }
        if let certificate, let key {
            configuration.certificateChain = try Self.certificates(in: certificate, parameter: "sslcert").map { .certificate($0) }
            do {
                configuration.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: try Self.contents(of: key, parameter: "sslkey"), format: .pem))
            } catch let error as ConfigurationError {
                throw error
            } catch {
                throw ConfigurationError("cannot read sslkey \(key): not a PEM private key")
            }
        }
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch NIOSSLError.failedToLoadPrivateKey where certificate != nil {
            throw ConfigurationError("sslkey \(key ?? "") is not the private key of sslcert \(certificate ?? "")")
        } catch {
            throw ConfigurationError("cannot use the TLS settings of the database URL: \(error)")
        }
        self.configuration = configuration
    }

    /// The pool's TLS setting.
    var client: PostgresClient.Configuration.TLS {
        guard let configuration else { return .disable }
        return mode == .prefer ? .prefer(configuration) : .require(configuration)
    }

    /// A single connection's TLS setting.
    var connection: PostgresConnection.Configuration.TLS {
        guard let context else { return .disable }
        return mode == .prefer ? .prefer(context) : .require(context)
    }

    /// The certificates of a PEM file; at least one.
    private static func certificates(in path: String, parameter: String) throws -> [NIOSSLCertificate] {
        let bytes = try contents(of: path, parameter: parameter)
        guard let found = try? NIOSSLCertificate.fromPEMBytes(bytes), !found.isEmpty else {
            throw ConfigurationError("cannot read \(parameter) \(path): not a PEM certificate file")
        }
        return found
    }

    /// The bytes of a file, or an error naming the parameter, the file and the system's reason.
    private static func contents(of path: String, parameter: String) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw ConfigurationError("cannot read \(parameter) \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { return bytes }
            guard count > 0 else {
                if errno == EINTR { continue }
                throw ConfigurationError("cannot read \(parameter) \(path): \(String(cString: strerror(errno)))")
            }
            bytes += buffer[..<count]
        }
    }
}
