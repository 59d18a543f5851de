import SQLKit

/// Global settings (Zabbix's `config` row), stored as name/value pairs.
public struct Settings: Sendable {
    public var values: [String: String]

    /// The settings that matter to Tessera, with Zabbix's shipped values, in `settings.get` order.
    public static let defaults: [(String, String)] = [
        ("default_theme", "blue-theme"),
        ("search_limit", "1000"),
        ("max_in_table", "50"),
        ("alert_usrgrpid", "7"),
        ("default_lang", "en_US"),
        ("default_timezone", "system"),
        ("login_attempts", "5"),
        ("login_block", "30s"),
        ("url", ""),
        ("auditlog_enabled", "1"),
        ("passwd_min_length", "8"),
        ("passwd_check_rules", "8"),
    ]

    /// Names that `settings.get` returns (the password policy belongs to `authentication.get`).
    public static let publicNames = defaults.map(\.0).filter { !$0.hasPrefix("passwd_") }

    public func string(_ name: String) -> String { values[name] ?? "" }
    public func int(_ name: String) -> Int { Int(string(name)) ?? 0 }

    public var auditEnabled: Bool { int("auditlog_enabled") == 1 }
    public var loginAttempts: Int { int("login_attempts") }
    public var loginBlockSeconds: Int { TimeUnit.seconds(string("login_block")) ?? 30 }

    static func load(_ db: any SQLDatabase) async throws -> Settings {
        var values = Dictionary(uniqueKeysWithValues: defaults)
        for row in try await db.raw("SELECT name, value FROM settings").all() {
            values[try row.decode(column: "name", as: String.self)] = try row.decode(column: "value", as: String.self)
        }
        return Settings(values: values)
    }
}
