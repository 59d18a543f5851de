import ArgumentParser
import Configuration
import Hummingbird
import Logging
import NIOCore
import Tessera

/// `tessera serve`: runs the server. Each setting comes from its flag, else the environment
/// (`TESSERA_HOST`, `TESSERA_PORT`, `TESSERA_DATA_DIR`, `TESSERA_DATABASE`, `TESSERA_API_VERSION`,
/// `TESSERA_LOG_LEVEL`, `TESSERA_LOG_FORMAT`, `TESSERA_ADMIN_PASSWORD`, … — docs/operations.md has the
/// whole table), else the JSON file of `--config` (`{"tessera": {"host": …, "port": …, "data": {"dir": …},
/// "log": {"level": …}, …}}`), else its default.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP server (JSON-RPC API, health check).")

    @Option(help: "Address to listen on (default 127.0.0.1).") var host: String?
    @Option(help: "TCP port (default 8080).") var port: Int?
    @OptionGroup var storage: DatabaseOptions
    @Option(name: .customLong("api-version"), help: "Version reported by apiinfo.version (default 7.0.0; e.g. 6.0.14 for older clients).")
    var apiVersion: String?
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (default info).") var logLevel: String?
    @Option(name: .customLong("log-format"), help: "plain or json (one JSON object per line) (default plain).") var logFormat: String?
    @Option(
        name: .customLong("auth-failure-limit"),
        help:
            "Failed authentications per client address and minute before its logins and wrong credentials are refused for the rest of the minute (valid tokens and sessions still work); 0 turns the limit off (default 300)."
    ) var authFailureLimit: Int?
    @Option(
        name: .customLong("session-lifetime"),
        help: "How long a session lasts from its login, however active, in Zabbix time units (24h, 90m, 7d); 0 for no limit (default 24h)."
    ) var sessionLifetime: String?
    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain: serve HTTPS directly (with --tls-key).") var tlsCert: String?
    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert.") var tlsKey: String?
    @Option(
        name: .customLong("trusted-proxy"),
        help: "Address of a reverse proxy whose X-Forwarded-For / X-Forwarded-Proto are believed (repeatable, or comma-separated)."
    ) var trustedProxy: [String] = []
    @Option(name: .customLong("metrics-port"), help: "Serve /metrics on this port only (with /healthz and /readyz, which stay on --port too).")
    var metricsPort: Int?
    @Option(name: .customLong("metrics-host"), help: "Address the metrics port listens on (default: --host).") var metricsHost: String?
    @Option(name: .customLong("metrics-token-file"), help: "File holding the bearer token /metrics requires (default: none required).")
    var metricsTokenFile: String?
    @Option(name: .customLong("idle-timeout"), help: "Seconds before an idle or stalled connection is closed (default 30).") var idleTimeout: Int?
    @OptionGroup var admin: AdminPasswordOption

    func run() async throws {
        let settings = try await resolve()
        LoggingSystem.bootstrap { label in LineLogHandler(label: label, level: settings.logLevel, format: settings.logFormat) }
        let logger = Logger(label: "tessera")
        let database = try await openDatabase(settings, logger: logger)
        let services = Services(
            database: database,
            apiVersion: settings.apiVersion,
            authFailureLimit: settings.authFailureLimit,
            sessionLifetime: settings.sessionLifetime,
            logger: logger
        )
        let app = try buildApplication(settings, services: services, web: try await WebUI.load(), logger: logger)
        logger.notice(
            "Tessera listening on \(settings.tlsCertificate == nil ? "http" : "https")://\(settings.host):\(settings.port) (\(database.engine.rawValue))"
        )
        if let metricsPort = settings.metricsPort {
            logger.notice(
                "metrics on http://\(settings.metricsHost ?? settings.host):\(metricsPort)/metrics (\(settings.metricsToken == nil ? "no token" : "bearer token") required)"
            )
        }
        do {
            try await app.runService()
        } catch {
            await services.shutdown()
            await database.close()
            throw error
        }
        await services.shutdown()
        await database.close()
    }

    /// Merges flags, environment and config file into one `ServerConfig`, rejecting unusable values.
    private func resolve() async throws -> ServerConfig {
        var flags = admin.flags
        if let host { flags["tessera.host"] = .init(.string(host), isSecret: false) }
        if let port { flags["tessera.port"] = .init(.int(port), isSecret: false) }
        if let apiVersion { flags["tessera.api.version"] = .init(.string(apiVersion), isSecret: false) }
        if let logLevel { flags["tessera.log.level"] = .init(.string(logLevel), isSecret: false) }
        if let logFormat { flags["tessera.log.format"] = .init(.string(logFormat), isSecret: false) }
        if let authFailureLimit { flags["tessera.auth.failure.limit"] = .init(.int(authFailureLimit), isSecret: false) }
        if let sessionLifetime { flags["tessera.session.lifetime"] = .init(.string(sessionLifetime), isSecret: false) }
        if let tlsCert { flags["tessera.tls.cert"] = .init(.string(tlsCert), isSecret: false) }
        if let tlsKey { flags["tessera.tls.key"] = .init(.string(tlsKey), isSecret: false) }
        if !trustedProxy.isEmpty { flags["tessera.trusted.proxies"] = .init(.string(trustedProxy.joined(separator: ",")), isSecret: false) }
        if let metricsPort { flags["tessera.metrics.port"] = .init(.int(metricsPort), isSecret: false) }
        if let metricsHost { flags["tessera.metrics.host"] = .init(.string(metricsHost), isSecret: false) }
        if let metricsTokenFile { flags["tessera.metrics.token.file"] = .init(.string(metricsTokenFile), isSecret: false) }
        if let idleTimeout { flags["tessera.idle.timeout"] = .init(.int(idleTimeout), isSecret: false) }
        let reader = try await storage.reader(adding: flags)
        var settings = ServerConfig()
        try DatabaseOptions.read(reader, into: &settings)
        AdminPasswordOption.read(reader, into: &settings)
        settings.host = reader.string(forKey: "tessera.host", default: settings.host)
        settings.port = try Self.integer(reader, "tessera.port", "port", default: settings.port, range: 0...65535)
        settings.apiVersion = reader.string(forKey: "tessera.api.version", default: settings.apiVersion)
        let level = reader.string(forKey: "tessera.log.level", default: "info")
        guard let parsedLevel = Logger.Level(rawValue: level.lowercased()) else {
            throw ValidationError("invalid log level \"\(level)\" (use trace, debug, info, notice, warning, error or critical)")
        }
        settings.logLevel = parsedLevel
        let format = reader.string(forKey: "tessera.log.format", default: "plain")
        guard let parsedFormat = LogFormat(rawValue: format.lowercased()) else {
            throw ValidationError("invalid log format \"\(format)\" (use plain or json)")
        }
        settings.logFormat = parsedFormat
        settings.authFailureLimit = try Self.integer(
            reader,
            "tessera.auth.failure.limit",
            "auth failure limit",
            default: settings.authFailureLimit,
            range: 0...1_000_000_000
        )
        settings.sessionLifetime = try Self.sessionLifetime(reader, default: settings.sessionLifetime)
        settings.idleTimeout = try Self.integer(reader, "tessera.idle.timeout", "idle timeout", default: settings.idleTimeout, range: 1...86_400)
        if reader.string(forKey: "tessera.metrics.port") != nil || reader.int(forKey: "tessera.metrics.port") != nil {
            settings.metricsPort = try Self.integer(reader, "tessera.metrics.port", "metrics port", default: 0, range: 1...65535)
            guard settings.metricsPort != settings.port else {
                throw ValidationError("the metrics port must differ from the port (\(settings.port))")
            }
        }
        try Self.readMetrics(reader, into: &settings)
        settings.tlsCertificate = reader.string(forKey: "tessera.tls.cert").flatMap { $0.isEmpty ? nil : $0 }
        settings.tlsKey = reader.string(forKey: "tessera.tls.key").flatMap { $0.isEmpty ? nil : $0 }
        guard (settings.tlsCertificate == nil) == (settings.tlsKey == nil) else {
            throw ValidationError("--tls-cert and --tls-key go together: give both files or neither")
        }
        if let certificate = settings.tlsCertificate, let key = settings.tlsKey {
            // Read now, so that unusable files stop the start before the database is touched.
            do {
                try ServerConfig.checkTLSFiles(certificate: certificate, key: key)
            } catch {
                throw ValidationError(String(describing: error))
            }
        }
        // A comma-separated string (flags, environment) or a list (config file).
        let proxies = reader.stringArray(forKey: "tessera.trusted.proxies") ?? reader.string(forKey: "tessera.trusted.proxies").map { [$0] }
        if proxies == nil, reader.double(forKey: "tessera.trusted.proxies") != nil || reader.bool(forKey: "tessera.trusted.proxies") != nil {
            throw ValidationError("invalid trusted proxies (use a list of IP addresses, or one string of them separated by commas)")
        }
        settings.trustedProxies = (proxies ?? []).flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for proxy in settings.trustedProxies where !Self.isIPAddress(proxy) {
            throw ValidationError("invalid trusted proxy \"\(proxy)\" (use an IP address such as 127.0.0.1)")
        }
        guard !settings.apiVersion.isEmpty, settings.apiVersion.split(separator: ".").allSatisfy({ Int($0) != nil }) else {
            throw ValidationError("invalid API version \"\(settings.apiVersion)\" (use digits and dots, e.g. 7.0.0 or 6.0.14)")
        }
        return settings
    }

    /// The session lifetime in seconds: Zabbix time units as text ("24h"), or seconds as a number in the
    /// config file; 0 (no limit), or from a minute to a year.
    private static func sessionLifetime(_ reader: ConfigReader, default value: Int) throws -> Int {
        let key: ConfigKey = "tessera.session.lifetime"
        let hint = "use 0 or 1m-365d in Zabbix time units, e.g. 24h"
        let text: String
        if let string = reader.string(forKey: key) {
            text = string.trimmingCharacters(in: .whitespaces)
        } else if let number = reader.int(forKey: key) {
            text = String(number)
        } else if reader.double(forKey: key) != nil || reader.bool(forKey: key) != nil || reader.stringArray(forKey: key) != nil {
            throw ValidationError("invalid session lifetime (\(hint))")
        } else {
            return value
        }
        guard let seconds = TimeUnit.seconds(text), seconds == 0 || (60...31_536_000).contains(seconds) else {
            throw ValidationError("invalid session lifetime \"\(text)\" (\(hint))")
        }
        return seconds
    }

    /// The metrics listener's address and the token `/metrics` requires (read from its file now, so
    /// that an unusable file stops the start).
    private static func readMetrics(_ reader: ConfigReader, into settings: inout ServerConfig) throws {
        if let host = reader.string(forKey: "tessera.metrics.host") {
            guard !host.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw ValidationError("invalid metrics host \"\(host)\" (use an address such as 127.0.0.1)")
            }
            guard settings.metricsPort != nil else { throw ValidationError("--metrics-host needs --metrics-port") }
            settings.metricsHost = host
        }
        if let path = reader.string(forKey: "tessera.metrics.token.file"), !path.isEmpty {
            do {
                settings.metricsToken = try MetricsToken(contentsOfFile: path)
            } catch {
                throw ValidationError(String(describing: error))
            }
        }
    }

    /// An integer setting from text (flags, environment) or a number (config file), within `range`.
    private static func integer(_ reader: ConfigReader, _ key: String, _ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        let number: Int
        if let text = reader.string(forKey: ConfigKey(key)) {
            guard let parsed = Int(text.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("invalid \(name) \"\(text)\" (use \(range.lowerBound)-\(range.upperBound))")
            }
            number = parsed
        } else if let parsed = reader.int(forKey: ConfigKey(key)) {
            number = parsed
        } else if reader.double(forKey: ConfigKey(key)) != nil || reader.bool(forKey: ConfigKey(key)) != nil
            || reader.stringArray(forKey: ConfigKey(key)) != nil
        {
            throw ValidationError("invalid \(name) (use a whole number from \(range.lowerBound) to \(range.upperBound))")
        } else {
            return value
        }
        guard range.contains(number) else { throw ValidationError("invalid \(name) \(number) (use \(range.lowerBound)-\(range.upperBound))") }
        return number
    }

    private static func isIPAddress(_ text: String) -> Bool {
        (try? SocketAddress(ipAddress: text, port: 0)) != nil
    }
}
