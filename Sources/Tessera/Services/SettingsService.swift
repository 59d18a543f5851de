/// The system settings (users spec §7) as the services, the API and the pages read them.
struct SettingsService: Sendable {
    let database: any Database

    func current() async throws -> Settings {
        try await database.read { db in try await Settings.load(db) }
    }
}
