import ArgumentParser
import Foundation
import Tessera

/// `tessera backup`: a consistent copy of the embedded SQLite database, also while servers use it.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the embedded SQLite database into a file, also while servers are using it.",
        discussion: """
            The file is one consistent snapshot (SQLite VACUUM INTO), written under a temporary name and renamed when \
            complete. To restore it, stop the servers, remove tessera.sqlite-wal and tessera.sqlite-shm from the data \
            folder and put the file in place as tessera.sqlite. A PostgreSQL database is backed up with pg_dump instead.
            """
    )

    @OptionGroup var storage: DatabaseOptions
    @Option(help: ArgumentHelp("The file to write.", valueName: "file")) var to: String
    @Flag(help: "Replace the file if it exists.") var force = false

    func run() async throws {
        try await CommandFailure.reporting {
            let settings = try await storage.settings()
            guard settings.databaseURL == nil else {
                throw CommandFailure(
                    "this installation uses PostgreSQL, and backup copies only the embedded SQLite database: use pg_dump"
                        + " (e.g. pg_dump --format=custom --file=tessera.dump \"$TESSERA_DATABASE\")"
                )
            }
            let summary = try await SQLiteBackup.run(from: settings.sqlitePath, to: to, force: force, logger: .commandLine)
            print("Backed up \(settings.sqlitePath) to \(to) (\(summary.bytes) bytes) in \(String(format: "%.1f", summary.seconds)) s.")
        }
    }
}
