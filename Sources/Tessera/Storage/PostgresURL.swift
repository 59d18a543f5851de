import Foundation

/// A `postgres://user:password@host:port/database?sslmode=…` URL, read as libpq reads one. The query
/// parameters are libpq's TLS settings (`sslmode`, `sslrootcert`, `sslcert`, `sslkey`, see
/// ``PostgresTLS``); any other parameter is refused, so that a misspelt `sslmode` cannot quietly mean
/// an unencrypted connection. The certificate files are read here: an unusable one stops the start
/// before anything connects.
struct PostgresURL: Sendable {
    let host: String
    let port: Int
    let username: String
    let password: String?
    let database: String?
    let tls: PostgresTLS

    /// What is wrong with a URL that is not a PostgreSQL URL at all.
    static let expectedForm = "invalid database URL (expected postgres://user:password@host:port/database)"
    /// The query parameters Tessera reads, in the order the messages name them.
    static let parameters = ["sslmode", "sslrootcert", "sslcert", "sslkey"]

    init(parsing text: String) throws {
        guard let components = URLComponents(string: text),
            components.scheme == "postgres" || components.scheme == "postgresql",
            let host = components.host, !host.isEmpty
        else {
            throw ConfigurationError(Self.expectedForm)
        }
        var values: [String: String] = [:]
        for item in components.queryItems ?? [] {
            guard Self.parameters.contains(item.name) else {
                throw ConfigurationError(
                    "unknown parameter \"\(item.name)\" in the database URL (Tessera reads sslmode, sslrootcert, sslcert and sslkey)"
                )
            }
            guard values[item.name] == nil else { throw ConfigurationError("\(item.name) is given twice in the database URL") }
            values[item.name] = item.value ?? ""
        }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        self.host = host
        self.port = components.port ?? 5432
        self.username = components.user ?? "postgres"
        self.password = components.password
        self.database = database.isEmpty ? nil : database
        self.tls = try PostgresTLS(
            mode: values["sslmode"],
            rootCertificate: values["sslrootcert"],
            certificate: values["sslcert"],
            key: values["sslkey"]
        )
    }

    /// `host:port`, for messages (never the user or the password).
    var endpoint: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

extension ServerConfig {
    /// Throws a `ConfigurationError` saying what is wrong when `url` cannot be used as the database URL:
    /// not a PostgreSQL URL, an unknown parameter or `sslmode`, a certificate file that cannot be read.
    public static func checkDatabaseURL(_ url: String) throws {
        _ = try PostgresURL(parsing: url)
    }
}
