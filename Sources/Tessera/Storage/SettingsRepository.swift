import SQLKit

/// The `settings` table: name and value pairs (the settings not stored keep their defaults, `Settings.defaults`).
enum SettingsRepository {
    static func stored(_ db: any SQLDatabase) async throws -> [(name: String, value: String)] {
        try await db.raw("SELECT name, value FROM settings").all().map {
            (try $0.decode(column: "name", as: String.self), try $0.decode(column: "value", as: String.self))
        }
    }
}
