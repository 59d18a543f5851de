import Logging
import NIOConcurrencyHelpers
import NIOCore
import PostgresNIO
import SQLKit

/// Runs each statement until its answer, its deadline, or the database being found away, whichever
/// comes first; a statement given up closes its connection (which PostgreSQL has most likely dropped
/// already) and fails with `DatabaseUnavailable`, and so does every later statement of the operation
/// (its ROLLBACK among them). A COMMIT given up leaves the outcome unknown, as a lost connection always does.
struct StatementDeadline: SQLDatabase {
    let connection: PostgresConnection
    let database: any SQLDatabase
    let limit: Duration
    let availability: Availability
    private let lost = NIOLockedValueBox(false)

    init(connection: PostgresConnection, database: any SQLDatabase, limit: Duration, availability: Availability) {
        self.connection = connection
        self.database = database
        self.limit = limit
        self.availability = availability
    }

    var logger: Logger { database.logger }
    var eventLoop: any EventLoop { database.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { database.version }
    var dialect: any SQLDialect { database.dialect }
    var queryLogLevel: Logger.Level? { nil }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        guard !lost.withLockedValue({ $0 }) else { throw DatabaseUnavailable() }
        let database = database
        let connection = connection
        do {
            try await abandoning(after: limit, orWhenAway: availability) { try await database.execute(sql: query, onRow) }
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

/// What `work` returns, or `DatabaseUnavailable` once `limit` has passed or the database is found away
/// — without waiting for `work`, which is then cancelled and left to finish on its own.
func abandoning<T: Sendable>(
    after limit: Duration,
    orWhenAway availability: Availability,
    _ work: @escaping @Sendable () async throws -> T
) async throws -> T {
    let waiting = NIOLockedValueBox<CheckedContinuation<T, any Error>?>(nil)
    let tasks = NIOLockedValueBox<(work: Task<Void, Never>?, timer: Task<Void, Never>?, watcher: UInt64?)>((nil, nil, nil))
    /// Resumes the caller once: with the first of the work's outcome, the deadline and the database going away.
    @Sendable func finish(_ outcome: Result<T, any Error>) {
        guard
            let continuation = waiting.withLockedValue({ value in
                defer { value = nil }
                return value
            })
        else { return }
        let (work, timer, watcher) = tasks.withLockedValue { $0 }
        timer?.cancel()
        if let watcher { availability.unwatch(watcher) }
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
            let watcher = availability.watch { finish(.failure(DatabaseUnavailable())) }
            tasks.withLockedValue { $0 = (runner, timer, watcher) }
            // The work may have finished before the timer and the watcher were known.
            if waiting.withLockedValue({ $0 == nil }) {
                timer.cancel()
                availability.unwatch(watcher)
            }
        }
    } onCancel: {
        finish(.failure(CancellationError()))
    }
}
