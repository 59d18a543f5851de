import NIOConcurrencyHelpers
import NIOCore
import SQLiteNIO
import VaporCSQLite

/// A read-only SQLite connection that runs its statements on the calling thread.
///
/// SQLiteNIO runs every statement on its thread pool and resumes the caller afterwards: two thread
/// hand-offs per query, which cost more than the query itself on the authentication hot path. Reads
/// in WAL mode never wait for the writer, so they are run directly here instead, with their prepared
/// statements kept for reuse. One connection serves one task at a time (see `SQLiteReaderPool`).
public final class SQLiteReadConnection: @unchecked Sendable {
    private let handle: OpaquePointer
    /// Prepared statements by SQL text; bounded, since some SQL embeds list lengths.
    private var statements: [String: OpaquePointer] = [:]
    private static let statementLimit = 128

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    init(path: String) throws {
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        let status = sqlite_nio_sqlite3_open_v2(path, &handle, flags, nil)
        guard status == SQLITE_OK, let handle else {
            if let handle { sqlite_nio_sqlite3_close(handle) }
            throw Failure(description: "cannot open \(path) for reading (SQLite status \(status))")
        }
        self.handle = handle
        sqlite_nio_sqlite3_busy_timeout(handle, 5000)
        do {
            // A reader must never write, whatever SQL reaches it.
            try run("PRAGMA query_only = ON", binds: []) { _ in }
        } catch {
            sqlite_nio_sqlite3_close(handle)
            throw error
        }
    }

    deinit {
        for statement in statements.values { sqlite_nio_sqlite3_finalize(statement) }
        sqlite_nio_sqlite3_close(handle)
    }

    /// Runs one statement and calls `onRow` with each row's column names and values.
    func run(_ sql: String, binds: [SQLiteData], onRow: (SQLiteReadRow) -> Void) throws {
        let statement = try prepared(sql)
        defer {
            sqlite_nio_sqlite3_reset(statement)
            sqlite_nio_sqlite3_clear_bindings(statement)
        }
        for (offset, value) in binds.enumerated() {
            try check(bind(value, at: Int32(offset + 1), in: statement))
        }
        let count = sqlite_nio_sqlite3_column_count(statement)
        var names: [String] = []
        names.reserveCapacity(Int(count))
        for column in 0..<count { names.append(String(cString: sqlite_nio_sqlite3_column_name(statement, column))) }
        while true {
            let status = sqlite_nio_sqlite3_step(statement)
            if status == SQLITE_DONE { return }
            guard status == SQLITE_ROW else { throw failure(status) }
            var values: [SQLiteData] = []
            values.reserveCapacity(Int(count))
            for column in 0..<count { values.append(value(at: column, in: statement)) }
            onRow(SQLiteReadRow(columns: names, values: values))
        }
    }

    private func prepared(_ sql: String) throws -> OpaquePointer {
        if let statement = statements[sql] { return statement }
        var statement: OpaquePointer?
        let status = sqlite_nio_sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard status == SQLITE_OK, let statement else { throw failure(status) }
        if statements.count >= Self.statementLimit {
            for old in statements.values { sqlite_nio_sqlite3_finalize(old) }
            statements.removeAll(keepingCapacity: true)
        }
        statements[sql] = statement
        return statement
    }

    private func bind(_ value: SQLiteData, at index: Int32, in statement: OpaquePointer) -> Int32 {
        switch value {
        case .integer(let n): return sqlite_nio_sqlite3_bind_int64(statement, index, Int64(n))
        case .float(let x): return sqlite_nio_sqlite3_bind_double(statement, index, x)
        case .null: return sqlite_nio_sqlite3_bind_null(statement, index)
        case .text(let s):
            return sqlite_nio_sqlite3_bind_text64(statement, index, s, UInt64(s.utf8.count), Self.transient, UInt8(SQLITE_UTF8))
        case .blob(let bytes):
            return bytes.withUnsafeReadableBytes {
                sqlite_nio_sqlite3_bind_blob64(statement, index, $0.baseAddress, UInt64($0.count), Self.transient)
            }
        }
    }

    private func value(at column: Int32, in statement: OpaquePointer) -> SQLiteData {
        switch sqlite_nio_sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER: return .integer(Int(sqlite_nio_sqlite3_column_int64(statement, column)))
        case SQLITE_FLOAT: return .float(sqlite_nio_sqlite3_column_double(statement, column))
        case SQLITE_TEXT:
            guard let text = sqlite_nio_sqlite3_column_text(statement, column) else { return .null }
            let length = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: length), as: UTF8.self))
        case SQLITE_BLOB:
            let length = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
            var buffer = ByteBufferAllocator().buffer(capacity: length)
            if let bytes = sqlite_nio_sqlite3_column_blob(statement, column) {
                buffer.writeBytes(UnsafeRawBufferPointer(start: bytes, count: length))
            }
            return .blob(buffer)
        default: return .null
        }
    }

    private func check(_ status: Int32) throws {
        guard status == SQLITE_OK else { throw failure(status) }
    }

    private func failure(_ status: Int32) -> Failure {
        Failure(description: "SQLite read failed (status \(status)): \(String(cString: sqlite_nio_sqlite3_errmsg(handle)))")
    }

    /// SQLite copies bound text and blobs (`SQLITE_TRANSIENT`, a macro Swift does not import).
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}

/// Reader connections for the tasks reading at the moment: one is taken for a whole `read` and given
/// back after it; a few stay open for the next reads, more are opened when more tasks read at once.
public final class SQLiteReaderPool: Sendable {
    private let path: String
    private let idle = NIOLockedValueBox<[SQLiteReadConnection]>([])
    private let keepOpen: Int

    public init(path: String, keepOpen: Int) {
        self.path = path
        self.keepOpen = keepOpen
    }

    public func take() throws -> SQLiteReadConnection {
        if let connection = idle.withLockedValue({ $0.popLast() }) { return connection }
        return try SQLiteReadConnection(path: path)
    }

    public func giveBack(_ connection: SQLiteReadConnection) {
        // Beyond `keepOpen`, the connection is released here and closed by its deinit.
        idle.withLockedValue { idle in
            if idle.count < keepOpen { idle.append(connection) }
        }
    }

    public func closeAll() { idle.withLockedValue { $0.removeAll() } }
}
