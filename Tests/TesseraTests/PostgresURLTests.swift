import Foundation
import Testing

@testable import Tessera

/// The database URL as libpq reads it: the TLS parameters with their defaults, and exact messages for
/// everything that cannot be used (the start stops before anything connects). Real servers, certificates
/// and handshakes are in tests/e2e/test_postgres_tls.py.
@Suite("PostgreSQL URL")
struct PostgresURLTests {
    @Test func readsTheParts() throws {
        let url = try PostgresURL(parsing: "postgresql://tessera:p%40ss@db.internal:6543/tokens?sslmode=require")
        #expect(url.host == "db.internal")
        #expect(url.port == 6543)
        #expect(url.username == "tessera")
        #expect(url.password == "p@ss")
        #expect(url.database == "tokens")
        #expect(url.tls.mode == .require)
        #expect(url.endpoint == "db.internal:6543")
    }

    /// As libpq: no `sslmode` means `prefer` (TLS when the server offers it); no user means postgres.
    @Test func defaults() throws {
        let url = try PostgresURL(parsing: "postgres://127.0.0.1")
        #expect(url.port == 5432)
        #expect(url.username == "postgres")
        #expect(url.password == nil)
        #expect(url.database == nil)
        #expect(url.tls.mode == .prefer)
        #expect(url.tls.rootCertificate == nil)
        #expect(try PostgresURL(parsing: "postgres://h/d?sslmode=disable").tls.mode == .disable)
        #expect(try PostgresURL(parsing: "postgres://h/d?sslmode=verify-ca&sslrootcert=system").tls.mode == .verifyCA)
    }

    @Test(
        arguments: [
            ("mysql://u@h/d", "invalid database URL (expected postgres://user:password@host:port/database)"),
            ("postgres://", "invalid database URL (expected postgres://user:password@host:port/database)"),
            (
                "postgres://h/d?sslmod=require",
                #"unknown parameter "sslmod" in the database URL (Tessera reads sslmode, sslrootcert, sslcert and sslkey)"#
            ),
            (
                "postgres://h/d?connect_timeout=5",
                #"unknown parameter "connect_timeout" in the database URL (Tessera reads sslmode, sslrootcert, sslcert and sslkey)"#
            ),
            ("postgres://h/d?sslmode=require&sslmode=disable", "sslmode is given twice in the database URL"),
            (
                "postgres://h/d?sslmode=verify_full",
                #"invalid sslmode "verify_full" in the database URL (use disable, prefer, require, verify-ca or verify-full)"#
            ),
            ("postgres://h/d?sslmode=", #"invalid sslmode "" in the database URL (use disable, prefer, require, verify-ca or verify-full)"#),
            ("postgres://h/d?sslmode=allow", #"sslmode "allow" is not supported (use disable, prefer, require, verify-ca or verify-full)"#),
            (
                "postgres://h/d?sslmode=verify-full",
                "sslmode=verify-full needs sslrootcert in the database URL: the CA certificate file (PEM) of the server's certificate, or sslrootcert=system for the system's trusted roots"
            ),
            (
                "postgres://h/d?sslmode=verify-ca",
                "sslmode=verify-ca needs sslrootcert in the database URL: the CA certificate file (PEM) of the server's certificate, or sslrootcert=system for the system's trusted roots"
            ),
            ("postgres://h/d?sslcert=/c.pem", "sslcert and sslkey go together in the database URL: give both files or neither"),
            ("postgres://h/d?sslkey=/k.pem", "sslcert and sslkey go together in the database URL: give both files or neither"),
            (
                "postgres://h/d?sslmode=require&sslrootcert=/nonexistent/ca.pem",
                "cannot read sslrootcert /nonexistent/ca.pem: No such file or directory"
            ),
            ("postgres://h/d?sslrootcert=/", "cannot read sslrootcert /: Is a directory"),
            (
                "postgres://h/d?sslcert=/nonexistent/c.pem&sslkey=/nonexistent/k.pem",
                "cannot read sslcert /nonexistent/c.pem: No such file or directory"
            ),
        ]
    )
    func refuses(url: String, message: String) {
        #expect(throws: ConfigurationError.self) { try PostgresURL(parsing: url) }
        do {
            _ = try PostgresURL(parsing: url)
        } catch {
            #expect(String(describing: error) == message)
            #expect(!String(describing: error).contains("p@ss"))
        }
    }

    /// A file that is there but holds no certificate, or no key, is named with what is wrong with it.
    @Test func refusesFilesThatAreNotPEM() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-url-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let garbage = folder.appendingPathComponent("garbage.pem").path
        let empty = folder.appendingPathComponent("empty.pem").path
        try Data("this is not a PEM file\n".utf8).write(to: URL(fileURLWithPath: garbage))
        try Data().write(to: URL(fileURLWithPath: empty))
        let cases = [
            ("postgres://h/d?sslmode=require&sslrootcert=\(garbage)", "cannot read sslrootcert \(garbage): not a PEM certificate file"),
            ("postgres://h/d?sslmode=require&sslrootcert=\(empty)", "cannot read sslrootcert \(empty): not a PEM certificate file"),
            ("postgres://h/d?sslcert=\(garbage)&sslkey=\(garbage)", "cannot read sslcert \(garbage): not a PEM certificate file"),
        ]
        for (url, message) in cases {
            do {
                _ = try PostgresURL(parsing: url)
                Issue.record("accepted \(url)")
            } catch {
                #expect(String(describing: error) == message)
            }
        }
    }

    /// `disable` reads no file: libpq ignores the certificate parameters then.
    @Test func disableReadsNoFile() throws {
        let url = try PostgresURL(parsing: "postgres://h/d?sslmode=disable&sslrootcert=/nonexistent/ca.pem")
        #expect(url.tls.mode == .disable)
    }
}
