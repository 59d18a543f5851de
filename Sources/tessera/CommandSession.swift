import ArgumentParser
import Logging
import Tessera

/// The options of the `user` and `token` commands: where the database is, and whom they act as.
struct OperatorOptions: ParsableArguments {
    @OptionGroup var storage: DatabaseOptions
    @Option(
        name: .customLong("as"),
        help: ArgumentHelp(
            "Act as this user: its role's permissions apply and audit records name it (default: userid 1, Admin).",
            valueName: "username"
        )
    )
    var username: String?
}

/// One command's work through the API's services, as the acting user.
enum CommandSession {
    /// The address in the audit records of changes made on the command line.
    static let auditIP = "127.0.0.1"

    /// Opens the database (it must exist at this build's schema version: nothing is created or
    /// upgraded), starts the services, runs `body` with them and the acting user, then shuts the
    /// services down and closes the database whatever happened.
    static func run<T>(_ options: OperatorOptions, _ body: (Services, CallContext) async throws -> T) async throws -> T {
        try await CommandFailure.reporting {
            let settings = try await options.storage.settings()
            let logger = Logger.commandLine
            let database = try await openDatabase(settings, schema: .existing, patience: .seconds(5), logger: logger)
            let services = Services(database: database, logger: logger)
            let result: Result<T, any Error>
            do {
                result = .success(try await body(services, try await services.localCaller(as: options.username, ip: auditIP)))
            } catch {
                result = .failure(error)
            }
            await services.shutdown()
            await database.close()
            return try result.get()
        }
    }
}

extension Logger {
    /// What the commands other than `serve` log: warnings and errors on stderr, in `serve`'s plain format.
    static var commandLine: Logger {
        Logger(label: "tessera") { LineLogHandler(label: $0, level: .warning, format: .plain) }
    }
}
