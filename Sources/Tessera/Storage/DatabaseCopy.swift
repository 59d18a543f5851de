import Foundation
import Logging
import PostgresNIO
import SQLKit
import SQLiteNIO

/// Copies a whole installation from one database to another (`tessera db copy`, e.g. the embedded
/// SQLite file to PostgreSQL): every row of every table, token hashes, sessions and the `ids`
/// counters included, so that tokens, sessions and passwords keep working and ids continue.
///
/// The source is read in one snapshot; the target is migrated, checked, emptied and filled in one
/// transaction, so it ends up with exactly the source's rows or is left as it was.
public enum DatabaseCopy {
    /// Where a copy stands: called when a table starts, after every batch, and when it is done.
    public struct Progress: Sendable, Equatable {
        public let table: String
        public let done: Int
        public let total: Int
        /// The table is complete (the last call for it).
        public let finished: Bool

        /// 0…100.
        public var percent: Int { total == 0 ? 100 : done * 100 / total }
    }

    /// What a finished copy did.
    public struct Summary: Sendable {
        /// Rows copied per table, in copy order.
        public let rows: [(table: String, count: Int)]
        public let seconds: Double

        public var totalRows: Int { rows.reduce(0) { $0 + $1.count } }
    }

    /// Every copied table with all its columns, in an order that satisfies the foreign keys (the
    /// schema catalogue's, without the change log).
    static let tables: [CopiedTable] = SchemaCatalogue.all.filter(\.copied).map {
        CopiedTable($0.name, key: $0.key, $0.columns.map { ($0.name, $0.kind) })
    }

    /// Copies everything from `source` into `target`, `batchSize` rows per INSERT.
    ///
    /// A target that already holds users or API tokens is refused (``DatabaseCopyError/targetNotEmpty(users:tokens:)``)
    /// unless `force` is set, in which case its data is replaced. Either way the target's change is
    /// one transaction: on any error it is left as it was. Stop every server on both databases first.
    public static func copy(
        from source: any Database,
        to target: any Database,
        force: Bool = false,
        batchSize: Int = 1000,
        progress: @escaping @Sendable (Progress) -> Void = { _ in }
    ) async throws -> Summary {
        precondition(batchSize > 0, "batchSize must be positive")
        let started = ContinuousClock.now
        let counts = try await step("reading the source") {
            try await source.read { src in
                try await snapshot(src, engine: source.engine) {
                    let totals = try await census(src)
                    return try await step("writing the target") {
                        try await target.transaction { dst in
                            try await fill(
                                dst,
                                engine: target.engine,
                                from: src,
                                totals: totals,
                                force: force,
                                batchSize: batchSize,
                                progress: progress
                            )
                        }
                    }
                }
            }
        }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Summary(rows: zip(tables, counts).map { ($0.name, $1) }, seconds: seconds)
    }

    /// Opens the SQLite file at `path` read-only as the source of a copy, after checking that it is a Tessera database.
    public static func openSource(path: String, logger: Logger) async throws -> any Database {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DatabaseCopyError.sourceMissing(path)
        }
        guard !isDirectory.boolValue else { throw DatabaseCopyError.sourceUnusable(path, "it is a folder, not a file") }
        let store: ReadOnlySQLiteStore
        do {
            store = try await ReadOnlySQLiteStore.open(path: path, logger: logger)
        } catch {
            throw DatabaseCopyError.sourceUnusable(path, "\(error)")
        }
        do {
            _ = try await store.read { db in try await Schema.version(db) }
        } catch {
            await store.close()
            throw DatabaseCopyError.sourceUnusable(path, "not a Tessera database (\(error))")
        }
        return store
    }

    // MARK: - Steps

    /// Runs `body` in one read-only snapshot of the source, so that all tables are read at the same instant.
    private static func snapshot<T: Sendable>(_ db: any SQLDatabase, engine: DatabaseEngine, _ body: () async throws -> T) async throws -> T {
        try await db.raw(engine == .postgres ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN").run()
        do {
            let result = try await body()
            try await db.raw("COMMIT").run()
            return result
        } catch {
            try? await db.raw("ROLLBACK").run()
            throw error
        }
    }

    /// Checks the source's schema version and counts the rows of every table.
    private static func census(_ src: any SQLDatabase) async throws -> [Int] {
        try await checkVersion(src, of: "source")
        var totals: [Int] = []
        for table in tables { totals.append(try await count(src, table.name)) }
        return totals
    }

    /// Inside the target's transaction: prepares it, copies every table, and announces the change; returns the rows per table.
    private static func fill(
        _ dst: any SQLDatabase,
        engine: DatabaseEngine,
        from src: any SQLDatabase,
        totals: [Int],
        force: Bool,
        batchSize: Int,
        progress: @Sendable (Progress) -> Void
    ) async throws -> [Int] {
        try await step("preparing the target") { try await prepare(dst, engine: engine, force: force) }
        var copied: [Int] = []
        for (table, total) in zip(tables, totals) {
            copied.append(
                try await step("copying table \(table.name)") {
                    try await copyRows(of: table, total: total, from: src, to: dst, batchSize: batchSize, progress: progress)
                }
            )
        }
        if engine == .postgres {
            // Running instances on the target drop their token caches when this commits.
            try await dst.raw("SELECT pg_notify(\(bind: ChangeFeed.channel), \(bind: ChangeFeed.Change.everything.payload))").run()
        }
        return copied
    }

    /// Brings the target to this build's schema, refuses it when it holds data (unless `force`) and empties it.
    private static func prepare(_ db: any SQLDatabase, engine: DatabaseEngine, force: Bool) async throws {
        let isNew: Bool
        do {
            isNew = try await Schema.migrate(InTransaction(db: db, engine: engine))
        } catch let newer as SchemaTooNew {
            throw DatabaseCopyError.schemaMismatch(side: "target", found: newer.found, expected: newer.supported)
        }
        if !isNew && !force {
            let users = try await count(db, "users")
            let tokens = try await count(db, "token")
            if users > 0 || tokens > 0 { throw DatabaseCopyError.targetNotEmpty(users: users, tokens: tokens) }
        }
        // The migrations' shipped rows (or the old data) go: the target gets exactly the source's rows.
        for table in tables.reversed() {
            try await db.raw("DELETE FROM \(ident: table.name)").run()
        }
    }

    /// Copies one table in key order, `batchSize` rows per SELECT and per multi-row INSERT; returns the rows copied.
    private static func copyRows(
        of table: CopiedTable,
        total: Int,
        from src: any SQLDatabase,
        to dst: any SQLDatabase,
        batchSize: Int,
        progress: @Sendable (Progress) -> Void
    ) async throws -> Int {
        progress(Progress(table: table.name, done: 0, total: total, finished: false))
        var done = 0
        var after: [any Encodable & Sendable]?
        while true {
            var select: SQLQueryString = "SELECT \(idents: table.columnNames, joinedBy: ", ") FROM \(ident: table.name)"
            if let after {
                select += " WHERE (\(idents: table.key, joinedBy: ", ")) > (\(binds: after))"
            }
            select += " ORDER BY \(idents: table.key, joinedBy: ", ") LIMIT \(literal: batchSize)"
            let rows = try await src.raw(select).all()
            if rows.isEmpty { break }
            var tuples: [SQLQueryString] = []
            for row in rows {
                tuples.append("(\(binds: try table.values(of: row)))")
            }
            try await dst.raw(
                "INSERT INTO \(ident: table.name) (\(idents: table.columnNames, joinedBy: ", ")) VALUES " + tuples.joined(separator: ", ")
            ).run()
            done += rows.count
            after = try table.keyValues(of: rows[rows.count - 1])
            if rows.count < batchSize { break }
            progress(Progress(table: table.name, done: done, total: max(total, done), finished: false))
        }
        progress(Progress(table: table.name, done: done, total: max(total, done), finished: true))
        return done
    }

    // MARK: - Helpers

    /// Runs one step of a copy; a database error becomes ``DatabaseCopyError/failed(_:_:)`` naming the step
    /// (the innermost one) and the server's message, never the query's values (hashes, session ids).
    private static func step<T>(_ what: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as DatabaseCopyError {
            throw error
        } catch let error as PSQLError {
            throw DatabaseCopyError.failed(what, error.serverInfo?[.message] ?? "PostgreSQL error \(error.code)")
        } catch {
            throw DatabaseCopyError.failed(what, "\(error)")
        }
    }

    private static func count(_ db: any SQLDatabase, _ table: String) async throws -> Int {
        Int(try await db.raw("SELECT COUNT(*) AS n FROM \(ident: table)").first()?.decode(column: "n", as: Int64.self) ?? 0)
    }

    /// Both sides must be at this build's schema version: a copy moves rows, it does not upgrade them.
    private static func checkVersion(_ db: any SQLDatabase, of side: String) async throws {
        let found = try await Schema.version(db)
        if found != Schema.latestVersion {
            throw DatabaseCopyError.schemaMismatch(side: side, found: found, expected: Schema.latestVersion)
        }
    }
}

// MARK: - Tables and rows

/// The copy's open transaction seen as a `Database`, so that `Schema.migrate` runs inside it.
private struct InTransaction: Database {
    let db: any SQLDatabase
    let engine: DatabaseEngine

    func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T { try await body(db) }
    func transaction<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T { try await body(db) }
    func close() async {}
}

/// A SQLite file opened read-only (`mode=ro`): the source of a copy is never written, not even its journal mode.
final class ReadOnlySQLiteStore: Database {
    let engine = DatabaseEngine.sqlite
    private let connection: SQLiteConnection

    private init(connection: SQLiteConnection) {
        self.connection = connection
    }

    static func open(path: String, logger: Logger) async throws -> ReadOnlySQLiteStore {
        // A URI filename (SQLiteNIO opens with SQLITE_OPEN_URI): percent-encoded path, read-only, never created.
        let uri = URL(fileURLWithPath: path).absoluteString + "?mode=ro"
        let connection = try await SQLiteConnection.open(storage: .file(path: uri), logger: logger)
        _ = try await connection.query("PRAGMA busy_timeout = 5000")
        return ReadOnlySQLiteStore(connection: connection)
    }

    func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await body(connection.sql(queryLogLevel: nil))
    }

    func transaction<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        throw ConfigurationError("the source database of a copy is opened read-only")
    }

    func close() async {
        try? await connection.close()
    }
}
