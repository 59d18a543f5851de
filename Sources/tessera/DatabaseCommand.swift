import ArgumentParser
import Foundation
import Logging
import Synchronization
import Tessera

/// `tessera db`: database maintenance.
struct DatabaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Database maintenance.",
        subcommands: [DatabaseCopyCommand.self]
    )
}

/// `tessera db copy --from <sqlite file> --to postgres://…`: moves an installation from the embedded
/// SQLite file to PostgreSQL, every row included (tokens, sessions and passwords keep working).
struct DatabaseCopyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy every row of a Tessera SQLite database into a PostgreSQL database.",
        discussion: """
            The target gets Tessera's schema and exactly the source's rows, in one transaction: on any error it \
            is left as it was. A target that already has users or API tokens is refused unless --force is given. \
            Stop the servers using either database first. The source file is opened read-only.
            """
    )

    @Option(help: ArgumentHelp("The SQLite file to copy from (e.g. ./data/tessera.sqlite).", valueName: "file")) var from: String
    @Option(help: ArgumentHelp("The target: a postgres://user:password@host:port/database URL.", valueName: "url")) var to: String
    @Flag(help: "Replace the data of a target that is not empty.") var force = false
    @Option(name: .customLong("batch-size"), help: ArgumentHelp("Rows per INSERT.", valueName: "rows")) var batchSize = 1000

    func validate() throws {
        guard !from.isEmpty else { throw ValidationError("--from must name the SQLite file to copy") }
        do {
            try ServerConfig.checkDatabaseURL(to)
        } catch {
            throw ValidationError(String(describing: error))
        }
        guard batchSize > 0 else { throw ValidationError("--batch-size must be 1 or more") }
    }

    func run() async throws {
        // The libraries' own logging (the pool's retries) is not for the operator: failures are told as errors.
        let logger = Logger(label: "tessera") { _ in SwiftLogNoOpLogHandler() }
        // Checks the URL (no connection yet), then the source, then that the target answers.
        let target = try PostgresStore.connect(url: to, maximumConnections: 2, logger: logger)
        let source: any Database
        do {
            source = try await DatabaseCopy.openSource(path: from, logger: logger)
        } catch {
            await target.close()
            throw error
        }
        do {
            try await Self.connect(target, within: .seconds(15))
            let bar = ProgressBar(interactive: isatty(STDERR_FILENO) != 0)
            do {
                let summary = try await DatabaseCopy.copy(from: source, to: target, force: force, batchSize: batchSize) { bar.show($0) }
                print(Self.describe(summary))
            } catch {
                bar.abandon()
                throw error
            }
        } catch {
            await source.close()
            await target.close()
            throw error
        }
        await source.close()
        await target.close()
    }

    /// Waits for a first connection to the target (it may be starting) for at most `limit`; fails at
    /// once with the reason when trying again cannot help (TLS, the password, no such database).
    static func connect(_ target: PostgresStore, within limit: Duration) async throws {
        do {
            try await target.waitForConnection(within: limit)
        } catch {
            throw ConfigurationError("cannot connect to the target database: \(error)")
        }
    }

    /// The closing report: rows per table and the time taken.
    static func describe(_ summary: DatabaseCopy.Summary) -> String {
        let width = summary.rows.map(\.table.count).max() ?? 0
        var lines = [String(format: "Copied %d rows in %.1f s:", summary.totalRows, summary.seconds)]
        for (table, count) in summary.rows {
            lines.append("  " + table.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + String(count))
        }
        return lines.joined(separator: "\n")
    }
}

/// The progress of a copy on stderr: one line redrawn in place per table on a terminal, otherwise
/// one line per finished table (logs and pipes get no carriage returns).
final class ProgressBar: Sendable {
    private let interactive: Bool
    /// Whether a line has been drawn that does not end with a newline yet.
    private let open = Mutex(false)

    init(interactive: Bool) {
        self.interactive = interactive
    }

    func show(_ progress: DatabaseCopy.Progress) {
        let line = Self.render(progress)
        open.withLock { open in
            if interactive {
                write("\r\u{1B}[2K" + line + (progress.finished ? "\n" : ""))
                open = !progress.finished
            } else if progress.finished {
                write(line + "\n")
            }
        }
    }

    /// Ends a half-drawn line so that an error message starts on a line of its own.
    func abandon() {
        open.withLock { open in
            if open { write("\n") }
            open = false
        }
    }

    /// `users_groups   [########################------]  812/1000 rows  81%`
    static func render(_ progress: DatabaseCopy.Progress) -> String {
        let width = 30
        let filled = progress.total == 0 ? width : min(width, progress.done * width / progress.total)
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let name = progress.table.padding(toLength: 14, withPad: " ", startingAt: 0)
        let total = String(progress.total)
        let done = String(repeating: " ", count: max(0, total.count - String(progress.done).count)) + String(progress.done)
        return "\(name) [\(bar)] \(done)/\(total) rows \(String(format: "%3d", progress.percent))%"
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
