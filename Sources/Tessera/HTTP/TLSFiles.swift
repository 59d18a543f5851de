import HummingbirdTLS

/// Reads the certificate chain and key for `--tls-cert` / `--tls-key`, with errors that name the file.
enum TLSFiles {
    static func configuration(certificate: String, key: String) throws -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificate)
        } catch {
            throw ConfigurationError("cannot read the TLS certificate \(certificate): \(error)")
        }
        guard !chain.isEmpty else { throw ConfigurationError("no certificate in \(certificate) (expected PEM)") }
        let privateKey: NIOSSLPrivateKey
        do {
            privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
        } catch {
            throw ConfigurationError("cannot read the TLS key \(key): \(error)")
        }
        return TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
    }
}

extension ServerConfig {
    /// Throws a `ConfigurationError` naming the file when the TLS certificate or key cannot be used.
    public static func checkTLSFiles(certificate: String, key: String) throws {
        _ = try TLSFiles.configuration(certificate: certificate, key: key)
    }
}
