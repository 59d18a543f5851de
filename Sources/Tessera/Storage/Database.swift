import NIOConcurrencyHelpers
import SQLKit

/// The SQL engine behind the repositories.
public enum DatabaseEngine: String, Sendable {
    case sqlite
    case postgres
}

/// Access to the database: concurrent reads, and transactions that either commit whole or change nothing.
public protocol Database: Sendable {
    var engine: DatabaseEngine { get }
    /// Runs `body` on a connection that sees committed data only.
    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    /// Runs `body` in one transaction; an error thrown by `body` rolls everything back.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    /// Closes every connection.
    func close() async
    /// Connections serving a read or a transaction right now (for `/metrics`).
    var connectionsInUse: Int { get }
    /// Whether the database answers a trivial query and has every migration of this version (`/readyz`).
    func isReady() async -> Bool
}

extension Database {
    /// Stores used only by tools (the copy's source and target views) do not count.
    public var connectionsInUse: Int { 0 }

    /// Runs a trivial query: returns once a connection answers.
    public func ping() async throws {
        try await read { db in try await db.raw("SELECT 1").run() }
    }

    public func isReady() async -> Bool {
        (try? await read { db in try await Schema.version(db) }) == Schema.latestVersion
    }
}

/// Counts connections in use; `track` brackets one use.
final class ConnectionUsage: Sendable {
    private let count = NIOLockedValueBox(0)

    var current: Int { count.withLockedValue { $0 } }

    func track<T>(_ body: () async throws -> T) async rethrows -> T {
        count.withLockedValue { $0 += 1 }
        defer { count.withLockedValue { $0 -= 1 } }
        return try await body()
    }
}

/// Serialises async work without blocking a thread (the single SQLite writer).
actor AsyncMutex {
    private var locked = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func lock() async {
        if !locked {
            locked = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func unlock() {
        if waiters.isEmpty {
            locked = false
        } else {
            waiters.removeFirst().resume()
        }
    }
}

/// Runs `body` between `begin` and COMMIT on `db`, or rolls back when it throws. The three statements
/// run even when the caller is cancelled: a cancelled caller must never leave its connection inside
/// an open transaction.
func bracketed<T: Sendable>(
    _ db: any SQLDatabase,
    begin: SQLQueryString,
    _ body: @escaping @Sendable (any SQLDatabase) async throws -> T
) async throws -> T {
    try await uncancellable { try await db.raw(begin).run() }
    do {
        let result = try await body(db)
        try await uncancellable { try await db.raw("COMMIT").run() }
        return result
    } catch {
        try? await uncancellable { try await db.raw("ROLLBACK").run() }
        throw error
    }
}

/// Runs a transaction's BEGIN, COMMIT or ROLLBACK even when the calling task is cancelled.
func uncancellable(_ statement: @escaping @Sendable () async throws -> Void) async throws {
    try await Task { try await statement() }.value
}
