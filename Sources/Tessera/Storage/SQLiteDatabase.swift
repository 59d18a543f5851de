import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit
import SQLiteNIO

/// The embedded default: one SQLite file in WAL mode, one writer connection used by one transaction
/// at a time, and a few reader connections that see committed data while a write is in progress.
/// Queries are never logged: their binds carry session ids and token hashes.
public final class SQLiteStore: Database {
    public let engine = DatabaseEngine.sqlite
    private let writer: SQLiteConnection
    private let readers: [SQLiteConnection]
    private let writeLock = AsyncMutex()
    private let nextReader = NIOLockedValueBox(0)

    private init(writer: SQLiteConnection, readers: [SQLiteConnection]) {
        self.writer = writer
        self.readers = readers
    }

    /// Opens (creating if needed) the database file at `path`.
    public static func open(path: String, readers readerCount: Int = 4, logger: Logger) async throws -> SQLiteStore {
        let writer = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        _ = try await writer.query("PRAGMA journal_mode = WAL")
        try await Self.configure(writer)
        var readers: [SQLiteConnection] = []
        for _ in 0..<readerCount {
            let reader = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
            try await Self.configure(reader)
            readers.append(reader)
        }
        return SQLiteStore(writer: writer, readers: readers)
    }

    private static func configure(_ connection: SQLiteConnection) async throws {
        _ = try await connection.query("PRAGMA foreign_keys = ON")
        _ = try await connection.query("PRAGMA busy_timeout = 5000")
        _ = try await connection.query("PRAGMA synchronous = NORMAL")
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let index = nextReader.withLockedValue { value in
            value = (value + 1) % readers.count
            return value
        }
        return try await body(readers[index].sql(queryLogLevel: nil))
    }

    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        await writeLock.lock()
        let db = writer.sql(queryLogLevel: nil)
        do {
            try await uncancellable { try await db.raw("BEGIN IMMEDIATE").run() }
        } catch {
            await writeLock.unlock()
            throw error
        }
        do {
            let result = try await body(db)
            try await uncancellable { try await db.raw("COMMIT").run() }
            await writeLock.unlock()
            return result
        } catch {
            try? await uncancellable { try await db.raw("ROLLBACK").run() }
            await writeLock.unlock()
            throw error
        }
    }

    public func close() async {
        for connection in readers + [writer] {
            try? await connection.close()
        }
    }
}
