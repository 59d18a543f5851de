import ArgumentParser
import Configuration
import SystemPackage
import Tessera

/// Where the database is: the options that every command shares with `serve`. Each setting comes from
/// its flag, else the environment (`TESSERA_DATA_DIR`, `TESSERA_DATABASE`), else the JSON file of
/// `--config` (`{"tessera": {"data": {"dir": …}, "database": …}}`), else its default.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Folder of the embedded SQLite database (default ./data).") var dataDir: String?
    @Option(
        help:
            "A postgres://user:password@host:port/database URL (TLS: ?sslmode=verify-full&sslrootcert=ca.pem); without it the embedded SQLite file is used."
    ) var database: String?
    @Option(help: "A JSON configuration file.") var config: String?

    /// The sources of settings in order of precedence: these flags and a command's own `flags`, the
    /// environment, the `--config` file.
    func reader(adding flags: [AbsoluteConfigKey: ConfigValue] = [:]) async throws -> ConfigReader {
        var values = flags
        if let dataDir { values["tessera.data.dir"] = .init(.string(dataDir), isSecret: false) }
        if let database { values["tessera.database"] = .init(.string(database), isSecret: true) }
        var providers: [any ConfigProvider] = [
            InMemoryProvider(name: "flags", values: values),
            EnvironmentVariablesProvider(secretsSpecifier: .specific(["TESSERA_DATABASE", "TESSERA_ADMIN_PASSWORD"])),
        ]
        if let config {
            do {
                providers.append(try await FileProvider<JSONSnapshot>(filePath: FilePath(config)))
            } catch {
                throw ValidationError("cannot read configuration file \(config): \(error)")
            }
        }
        return ConfigReader(providers: providers)
    }

    /// Sets `dataDir` and `databaseURL` from `reader`, rejecting an unusable URL (its TLS files included).
    static func read(_ reader: ConfigReader, into settings: inout ServerConfig) throws {
        settings.dataDir = reader.string(forKey: "tessera.data.dir", default: settings.dataDir)
        settings.databaseURL = reader.string(forKey: "tessera.database", isSecret: true).flatMap { $0.isEmpty ? nil : $0 }
        if let url = settings.databaseURL {
            do {
                try ServerConfig.checkDatabaseURL(url)
            } catch {
                throw ValidationError(String(describing: error))
            }
        }
    }

    /// The settings of a command that needs only the database.
    func settings() async throws -> ServerConfig {
        var settings = ServerConfig()
        try Self.read(try await reader(), into: &settings)
        return settings
    }
}

/// `--admin-password` of the commands that may create the database (`serve`, `migrate`); also
/// `TESSERA_ADMIN_PASSWORD` or `tessera.admin.password` in the `--config` file.
struct AdminPasswordOption: ParsableArguments {
    @Option(name: .customLong("admin-password"), help: "Password of Admin on first start (default: random, printed once).") var adminPassword: String?

    /// The flag as a setting for `DatabaseOptions.reader(adding:)`.
    var flags: [AbsoluteConfigKey: ConfigValue] {
        adminPassword.map { ["tessera.admin.password": .init(.string($0), isSecret: true)] } ?? [:]
    }

    static func read(_ reader: ConfigReader, into settings: inout ServerConfig) {
        settings.adminPassword = reader.string(forKey: "tessera.admin.password", isSecret: true)
    }
}
