import SQLKit

/// Global settings (Zabbix's `config` row), stored as name/value pairs.
struct Settings: Sendable {
    var values: [String: String]

    /// The settings that matter to Tessera, with Zabbix's shipped values, in `settings.get` order.
    static let defaults: [(String, String)] = [
        ("default_theme", "blue-theme"), ("search_limit", "1000"), ("max_in_table", "50"), ("server_check_interval", "10"),
        ("work_period", "1-5,09:00-18:00"), ("show_technical_errors", "0"), ("history_period", "24h"), ("period_default", "1h"),
        ("max_period", "2y"), ("severity_color_0", "97AAB3"), ("severity_color_1", "7499FF"), ("severity_color_2", "FFC859"),
        ("severity_color_3", "FFA059"), ("severity_color_4", "E97659"), ("severity_color_5", "E45959"),
        ("severity_name_0", "Not classified"), ("severity_name_1", "Information"), ("severity_name_2", "Warning"),
        ("severity_name_3", "Average"), ("severity_name_4", "High"), ("severity_name_5", "Disaster"), ("custom_color", "0"),
        ("ok_period", "5m"), ("blink_period", "2m"), ("problem_unack_color", "CC0000"), ("problem_ack_color", "CC0000"),
        ("ok_unack_color", "009900"), ("ok_ack_color", "009900"), ("problem_unack_style", "1"), ("problem_ack_style", "1"),
        ("ok_unack_style", "1"), ("ok_ack_style", "1"), ("discovery_groupid", "5"), ("default_inventory_mode", "-1"),
        ("alert_usrgrpid", "7"), ("snmptrap_logging", "1"), ("default_lang", "en_US"), ("default_timezone", "system"),
        ("login_attempts", "5"), ("login_block", "30s"), ("validate_uri_schemes", "1"),
        ("uri_valid_schemes", "http,https,ftp,file,mailto,tel,ssh"), ("x_frame_options", "SAMEORIGIN"),
        ("iframe_sandboxing_enabled", "1"), ("iframe_sandboxing_exceptions", ""), ("max_overview_table_size", "50"),
        ("connect_timeout", "3s"), ("socket_timeout", "3s"), ("media_type_test_timeout", "65s"), ("script_timeout", "60s"),
        ("item_test_timeout", "60s"), ("url", ""), ("report_test_timeout", "60s"), ("auditlog_enabled", "1"),
        ("ha_failover_delay", "1m"), ("geomaps_tile_provider", "OpenStreetMap.Mapnik"), ("geomaps_tile_url", ""),
        ("geomaps_max_zoom", "0"), ("geomaps_attribution", ""),
        // authentication.get
        ("authentication_type", "0"), ("http_auth_enabled", "0"), ("ldap_case_sensitive", "1"),
        ("passwd_min_length", "8"), ("passwd_check_rules", "8"),
    ]

    /// The fields of `settings.get`, in its order (the shipped Zabbix 6.0 set; most only matter to Zabbix itself).
    static let settingsFields = Array(defaults.map(\.0).prefix(59))

    /// The fields of `authentication.get` that Tessera uses.
    static let authenticationFields = [
        "authentication_type", "http_auth_enabled", "ldap_case_sensitive", "passwd_min_length", "passwd_check_rules",
    ]

    func string(_ name: String) -> String { values[name] ?? "" }
    func int(_ name: String) -> Int { Int(string(name)) ?? 0 }

    var auditEnabled: Bool { int("auditlog_enabled") == 1 }
    var loginAttempts: Int { int("login_attempts") }
    var loginBlockSeconds: Int { TimeUnit.seconds(string("login_block")) ?? 30 }

    static func load(_ db: any SQLDatabase) async throws -> Settings {
        var values = Dictionary(uniqueKeysWithValues: defaults)
        for (name, value) in try await SettingsRepository.stored(db) { values[name] = value }
        return Settings(values: values)
    }
}
