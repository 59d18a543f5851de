import SQLKit

/// The `settings` table: name and value pairs (the settings not stored keep their defaults, `Settings.defaults`).
enum SettingsRepository {
    /// Stores a setting's value (a setting not stored before gets its row).
    static func store(_ db: any SQLDatabase, _ name: String, _ value: String) async throws {
        try await db.raw("DELETE FROM settings WHERE name = \(bind: name)").run()
        try await db.raw("INSERT INTO settings (name, value) VALUES (\(bind: name), \(bind: value))").run()
    }

    static func stored(_ db: any SQLDatabase) async throws -> [(name: String, value: String)] {
        try await db.raw("SELECT name, value FROM settings").all().map {
            (try $0.decode(column: "name", as: String.self), try $0.decode(column: "value", as: String.self))
        }
    }
}
