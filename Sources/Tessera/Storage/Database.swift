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

/// Runs a transaction's BEGIN, COMMIT or ROLLBACK even when the calling task is cancelled: a
/// cancelled caller must never leave its connection inside an open transaction.
func uncancellable(_ statement: @escaping @Sendable () async throws -> Void) async throws {
    try await Task { try await statement() }.value
}
