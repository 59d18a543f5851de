import ArgumentParser
import Configuration
import Hummingbird
import Logging
import Tessera

/// `tessera serve`: runs the server. Each setting comes from its flag, else the environment
/// (`TESSERA_HOST`, `TESSERA_PORT`, `TESSERA_DATA_DIR`, `TESSERA_DATABASE`, `TESSERA_API_VERSION`,
/// `TESSERA_LOG_LEVEL`, `TESSERA_LOG_FORMAT`, `TESSERA_ADMIN_PASSWORD`), else the JSON file of `--config`
/// (`{"tessera": {"host": …, "port": …, "data": {"dir": …}, "database": …, "api": {"version": …}, "log": {"level": …, "format": …}}}`),
/// else its default.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP server (JSON-RPC API, health check).")

    @Option(help: "Address to listen on (default 127.0.0.1).") var host: String?
    @Option(help: "TCP port (default 8080).") var port: Int?
    @OptionGroup var storage: DatabaseOptions
    @Option(name: .customLong("api-version"), help: "Version reported by apiinfo.version (default 7.0.0; e.g. 6.0.14 for older clients).") var apiVersion: String?
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (default info).") var logLevel: String?
    @Option(name: .customLong("log-format"), help: "plain or json (one JSON object per line) (default plain).") var logFormat: String?
    @OptionGroup var admin: AdminPasswordOption

    func run() async throws {
        let settings = try await resolve()
        LoggingSystem.bootstrap { label in LineLogHandler(label: label, level: settings.logLevel, format: settings.logFormat) }
        let logger = Logger(label: "tessera")
        let database = try await openDatabase(settings, logger: logger)
        let services = Services(database: database, apiVersion: settings.apiVersion, logger: logger)
        let app = buildApplication(settings, services: services, web: try await WebUI.load(), logger: logger)
        logger.notice("Tessera listening on http://\(settings.host):\(settings.port) (\(database.engine.rawValue))")
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
        let reader = try await storage.reader(adding: flags)
        var settings = ServerConfig()
        try DatabaseOptions.read(reader, into: &settings)
        AdminPasswordOption.read(reader, into: &settings)
        settings.host = reader.string(forKey: "tessera.host", default: settings.host)
        if let text = reader.string(forKey: "tessera.port") {
            guard let port = Int(text) else { throw ValidationError("invalid port \"\(text)\" (use 0-65535)") }
            settings.port = port
        } else if let port = reader.int(forKey: "tessera.port") {
            settings.port = port
        }
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
        guard (0...65535).contains(settings.port) else { throw ValidationError("invalid port \(settings.port) (use 0-65535)") }
        guard !settings.apiVersion.isEmpty, settings.apiVersion.split(separator: ".").allSatisfy({ Int($0) != nil }) else {
            throw ValidationError("invalid API version \"\(settings.apiVersion)\" (use digits and dots, e.g. 7.0.0 or 6.0.14)")
        }
        return settings
    }
}
