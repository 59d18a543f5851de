import ArgumentParser
import Tessera

/// `tessera migrate`: what `serve` does to the database at start-up, without serving.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Create or upgrade the database schema and default data, then exit.",
        discussion: """
            On a new database this creates the default roles, user groups and users, and sets Admin's password: \
            --admin-password (or TESSERA_ADMIN_PASSWORD), else a random one printed once. Running it again changes \
            nothing; servers may be running meanwhile (on PostgreSQL concurrent migrations wait for each other).
            """
    )

    @OptionGroup var storage: DatabaseOptions
    @OptionGroup var admin: AdminPasswordOption

    func run() async throws {
        try await CommandFailure.reporting {
            let reader = try await storage.reader(adding: admin.flags)
            var settings = ServerConfig()
            try DatabaseOptions.read(reader, into: &settings)
            AdminPasswordOption.read(reader, into: &settings)
            let database = try await openDatabase(settings, schema: .migrate, logger: .commandLine)
            await database.close()
        }
        print("The database is at schema version \(Schema.latestVersion).")
    }
}
