import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SQLKit
import SQLiteFastReads
import SQLiteKit
import SQLiteNIO

/// The embedded default: one SQLite file in WAL mode, one writer connection used by one transaction
/// at a time, and reader connections that see committed data while a write is in progress (run on
/// the reading task's own thread, see `SQLiteReadConnection`). Queries are never logged: their binds
/// carry session ids and token hashes.
final class SQLiteStore: Database {
    let engine = DatabaseEngine.sqlite
    private let writer: SQLiteConnection
    private let readers: SQLiteReaderPool
    private let writeLock = AsyncMutex()
    private let usage = ConnectionUsage()
    var connectionsInUse: Int { usage.current }
    private let logger: Logger
    private let pin: SQLiteReadPin
    private let pinRenewal: Task<Void, Never>

    /// How often the read pin moves to the newest data when this process does not write (other
    /// processes' commits are copied into the database up to the pin's data only).
    static let pinRenewalInterval: Duration = .milliseconds(100)

    private init(writer: SQLiteConnection, readers: SQLiteReaderPool, pin: SQLiteReadPin, logger: Logger) {
        self.writer = writer
        self.readers = readers
        self.pin = pin
        self.logger = logger
        pinRenewal = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.pinRenewalInterval)
                pin.renew()
            }
        }
    }

    /// Opens (creating if needed) the database file at `path`; `readers` connections stay open between reads.
    static func open(path: String, readers readerCount: Int = 4, logger: Logger) async throws -> SQLiteStore {
        let writer = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        _ = try await writer.query("PRAGMA journal_mode = WAL")
        try await Self.configure(writer)
        let readers = SQLiteReaderPool(path: path, keepOpen: readerCount)
        readers.giveBack(try readers.take())  // fails here, not at the first request, when the file cannot be read
        return SQLiteStore(writer: writer, readers: readers, pin: try SQLiteReadPin(path: path), logger: logger)
    }

    private static func configure(_ connection: SQLiteConnection) async throws {
        _ = try await connection.query("PRAGMA foreign_keys = ON")
        _ = try await connection.query("PRAGMA busy_timeout = 5000")
        _ = try await connection.query("PRAGMA synchronous = NORMAL")
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let connection = try readers.take()
        defer { readers.giveBack(connection) }
        return try await usage.track { try await body(SQLiteReadDatabase(connection: connection, logger: logger)) }
    }

    func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        await writeLock.lock()
        pin.beginWrite()
        do {
            let result = try await AuditTrail.collecting(logger) {
                try await usage.track { try await bracketed(writer.sql(queryLogLevel: nil), begin: "BEGIN IMMEDIATE", body) }
            }
            pin.endWrite()
            await writeLock.unlock()
            return result
        } catch {
            pin.endWrite()
            await writeLock.unlock()
            throw error
        }
    }

    func close() async {
        pinRenewal.cancel()
        pin.close()
        readers.closeAll()
        try? await writer.close()
    }
}
