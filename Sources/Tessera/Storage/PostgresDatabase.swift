import Foundation
import NIOConcurrencyHelpers
import Logging
import PostgresKit
import PostgresNIO
import SQLKit

/// PostgreSQL through a `PostgresClient` pool: for several instances sharing one database.
public final class PostgresStore: Database {
    public let engine = DatabaseEngine.postgres
    let client: PostgresClient
    private let runTask: Task<Void, Never>
    private let logger: Logger
    private let availability = Availability()
    /// For connections outside the pool (the change listener).
    private let connectionConfiguration: PostgresConnection.Configuration

    private init(client: PostgresClient, connection: PostgresConnection.Configuration, logger: Logger) {
        self.client = client
        self.connectionConfiguration = connection
        self.logger = logger
        // Started at once, so that the pool runs before the first query asks it for a connection.
        self.runTask = Task.immediate { await client.run() }
    }

    /// Connects to a `postgres://user:password@host:port/database` URL.
    public static func connect(url: String, maximumConnections: Int = 16, logger: Logger) throws -> PostgresStore {
        guard let components = URLComponents(string: url),
            components.scheme == "postgres" || components.scheme == "postgresql",
            let host = components.host, !host.isEmpty
        else {
            throw ConfigurationError("invalid database URL (expected postgres://user:password@host:port/database)")
        }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        var configuration = PostgresClient.Configuration(
            host: host,
            port: components.port ?? 5432,
            username: components.user ?? "postgres",
            password: components.password,
            database: database.isEmpty ? nil : database,
            tls: .disable
        )
        configuration.options.maximumConnections = maximumConnections
        let connection = PostgresConnection.Configuration(
            host: host, port: components.port ?? 5432, username: components.user ?? "postgres", password: components.password,
            database: database.isEmpty ? nil : database, tls: .disable)
        return PostgresStore(
            client: PostgresClient(configuration: configuration, backgroundLogger: logger), connection: connection, logger: logger)
    }

    /// Listens on `channel` on a connection of its own until cancelled, reconnecting after any loss.
    /// `listening` runs once each time LISTEN is in place, `lost` each time the connection is gone
    /// (from then until the next `listening`, notifications may be missed).
    func listen(
        channel: String, listening: @Sendable () -> Void, lost: @Sendable () -> Void, received: @Sendable (String) -> Void
    ) async {
        var attempt = 0
        while !Task.isCancelled {
            do {
                let connection = try await PostgresConnection.connect(configuration: connectionConfiguration, id: 0, logger: logger)
                do {
                    try await connection.listen(on: channel) { notifications in
                        attempt = 0
                        listening()
                        for try await notification in notifications { received(notification.payload) }
                    }
                } catch {
                    if !Task.isCancelled { logger.warning("change listener: \(String(describing: error))") }
                }
                try? await connection.close()
            } catch {
                if !Task.isCancelled { logger.warning("change listener cannot connect: \(String(describing: error))") }
            }
            lost()
            attempt += 1
            try? await Task.sleep(for: .milliseconds(min(100 * attempt, 2000)))
        }
    }

    /// How long an operation waits for a connection before it fails (the pool itself would wait for
    /// as long as the database is down, holding every request).
    static let leaseTimeout: Duration = .seconds(3)
    /// How long one statement may take before its connection is given up as lost. A statement sent
    /// on a connection PostgreSQL is dropping may otherwise wait for the socket to time out.
    static let statementTimeout: Duration = .seconds(4)

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await guarded {
            try await self.withLease { connection in try await body(self.sql(connection)) }
        }
    }

    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await guarded {
            try await self.withLease { connection in
                let db = self.sql(connection)
                try await uncancellable { try await db.raw("BEGIN").run() }
                do {
                    let result = try await body(db)
                    try await uncancellable { try await db.raw("COMMIT").run() }
                    return result
                } catch {
                    try? await uncancellable { try await db.raw("ROLLBACK").run() }
                    throw error
                }
            }
        }
    }

    private func sql(_ connection: PostgresConnection) -> any SQLDatabase {
        StatementDeadline(connection: connection, database: connection.sql(queryLogLevel: nil, logger: logger), limit: Self.statementTimeout)
    }

    /// Fails at once while the database is known to be away, and turns losing a connection into `DatabaseUnavailable`.
    private func guarded<T: Sendable>(_ operation: () async throws -> T) async throws -> T {
        try availability.check()
        do {
            let result = try await operation()
            availability.reachable()
            return result
        } catch let error where Self.meansUnavailable(error) {
            throw DatabaseUnavailable()
        }
    }

    /// Errors that say the database cannot be reached, as opposed to a query it refused.
    static func meansUnavailable(_ error: any Error) -> Bool {
        if error is DatabaseUnavailable { return true }
        guard let error = error as? PSQLError else { return false }
        switch error.code {
        case .server:
            // Class 08 (connection exception) and 57 (operator intervention: shutting down, starting up).
            let state = error.serverInfo?[.sqlState] ?? ""
            return state.hasPrefix("08") || state.hasPrefix("57")
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed:
            return true
        default:
            return false
        }
    }

    /// A pooled connection for `body`, or `DatabaseUnavailable` when none comes within `leaseTimeout`.
    private func withLease<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let leased = NIOLockedValueBox(false)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await self.client.withConnection { connection in
                    leased.withLockedValue { $0 = true }
                    return try await body(connection)
                }
            }
            group.addTask {
                try await Task.sleep(for: Self.leaseTimeout)
                return nil
            }
            while let next = try await group.next() {
                if let result = next {
                    group.cancelAll()
                    return result
                }
                // The deadline passed: fail unless the work already has its connection. No connection
                // at all means the database is away (one lost connection does not).
                if !leased.withLockedValue({ $0 }) {
                    group.cancelAll()
                    availability.unreachable()
                    throw DatabaseUnavailable()
                }
            }
            throw DatabaseUnavailable()
        }
    }

    public func close() async {
        runTask.cancel()
        _ = await runTask.value
    }
}

/// The database did not give a connection in time (it is down or overloaded); nothing was changed.
public struct DatabaseUnavailable: Error, CustomStringConvertible {
    public var description: String {
        "the database did not give a connection in time: check the --database URL, that PostgreSQL runs and that it accepts this user"
    }
}

/// Whether the database gave connections the last time: after a wait for one timed out, operations
/// fail at once for `pause` instead of each waiting out its own timeout (a web page makes several
/// reads), then try again.
final class Availability: Sendable {
    private let awayUntil = NIOLockedValueBox<ContinuousClock.Instant?>(nil)
    let pause: Duration

    init(pause: Duration = .seconds(1)) { self.pause = pause }

    func check() throws {
        let away = awayUntil.withLockedValue { $0 }
        if let away, ContinuousClock.now < away { throw DatabaseUnavailable() }
    }

    func unreachable() { awayUntil.withLockedValue { $0 = ContinuousClock.now + pause } }

    func reachable() {
        if awayUntil.withLockedValue({ $0 }) != nil { awayUntil.withLockedValue { $0 = nil } }
    }
}

/// Runs each statement with a deadline; a statement that misses it closes its connection (which
/// PostgreSQL has most likely dropped already) and fails with `DatabaseUnavailable`, and so does every
/// later statement of the operation (its ROLLBACK among them). A COMMIT that misses it leaves the
/// outcome unknown, as a lost connection always does.
struct StatementDeadline: SQLDatabase {
    let connection: PostgresConnection
    let database: any SQLDatabase
    let limit: Duration
    private let lost = NIOLockedValueBox(false)

    init(connection: PostgresConnection, database: any SQLDatabase, limit: Duration) {
        self.connection = connection
        self.database = database
        self.limit = limit
    }

    var logger: Logger { database.logger }
    var eventLoop: any EventLoop { database.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { database.version }
    var dialect: any SQLDialect { database.dialect }
    var queryLogLevel: Logger.Level? { nil }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        guard !lost.withLockedValue({ $0 }) else { throw DatabaseUnavailable() }
        let database = database, connection = connection
        do {
            try await abandoning(after: limit) { try await database.execute(sql: query, onRow) }
        } catch let error as DatabaseUnavailable {
            lost.withLockedValue { $0 = true }
            Task { try? await connection.close() }
            throw error
        }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        let promise = eventLoop.makePromise(of: Void.self)
        promise.completeWithTask { try await self.execute(sql: query, onRow) }
        return promise.futureResult
    }
}

/// What `work` returns, or `DatabaseUnavailable` once `limit` has passed — without waiting for `work`,
/// which is then cancelled and left to finish on its own.
func abandoning<T: Sendable>(after limit: Duration, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
    let waiting = NIOLockedValueBox<CheckedContinuation<T, any Error>?>(nil)
    let tasks = NIOLockedValueBox<(work: Task<Void, Never>?, timer: Task<Void, Never>?)>((nil, nil))
    /// Resumes the caller once: with the first of the work's outcome and the deadline.
    @Sendable func finish(_ outcome: Result<T, any Error>) {
        guard let continuation = waiting.withLockedValue({ value in defer { value = nil }; return value }) else { return }
        let (work, timer) = tasks.withLockedValue { $0 }
        timer?.cancel()
        if case .failure = outcome { work?.cancel() }
        continuation.resume(with: outcome)
    }
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            waiting.withLockedValue { $0 = continuation }
            let runner = Task {
                do { finish(.success(try await work())) } catch { finish(.failure(error)) }
            }
            let timer = Task {
                guard (try? await Task.sleep(for: limit)) != nil else { return }
                finish(.failure(DatabaseUnavailable()))
            }
            tasks.withLockedValue { $0 = (runner, timer) }
            // The work may have finished before the timer was known.
            if waiting.withLockedValue({ $0 == nil }) { timer.cancel() }
        }
    } onCancel: {
        finish(.failure(CancellationError()))
    }
}

/// A configuration value that cannot be used; the message names it.
public struct ConfigurationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
