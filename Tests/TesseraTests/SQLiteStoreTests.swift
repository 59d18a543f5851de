import Foundation
import SQLKit
import Testing

@testable import Tessera

/// The embedded SQLite store with its read pin (`SQLiteReadPin`): reads see every commit at once,
/// this process's and other processes', and the write-ahead log still starts over.
@Suite("SQLite store")
struct SQLiteStoreTests {
    /// A commit through another connection to the file (the CLI beside a running server) is seen by
    /// the very next read, not only once the pin has moved on.
    @Test func readsSeeOtherConnectionsCommitsAtOnce() async throws {
        try await withStores(2) { stores in
            let (server, cli) = (stores[0], stores[1])
            try await server.transaction { db in try await db.raw("CREATE TABLE item (n INTEGER)").run() }
            for n in 1...20 {
                try await cli.transaction { db in try await db.raw("INSERT INTO item (n) VALUES (\(bind: n))").run() }
                #expect(try await count(server) == n)
                try await server.transaction { db in try await db.raw("UPDATE item SET n = n WHERE n = \(bind: n)").run() }
                #expect(try await count(cli) == n)
            }
        }
    }

    /// Thousands of commits, each at least one page, with reads between them: the log is copied back
    /// and reused (a pin held through the commits would keep it growing, one page per commit).
    @Test func logStartsOver() async throws {
        try await withStores(1) { stores in
            let store = stores[0]
            try await store.transaction { db in try await db.raw("CREATE TABLE item (n INTEGER, data BLOB)").run() }
            let page = [UInt8](repeating: 7, count: 4096)
            for n in 1...3000 {
                try await store.transaction { db in
                    try await db.raw("INSERT INTO item (n, data) VALUES (\(bind: n), \(bind: page))").run()
                }
                if n % 10 == 0 { _ = try await count(store) }
            }
            #expect(try await count(store) == 3000)
            let log = try FileManager.default.attributesOfItem(atPath: store.path + "-wal")[.size] as? Int ?? 0
            // SQLite copies the log back at 1,000 pages (4 MiB): 3,000 commits unchecked would be over 24 MiB.
            #expect(log < 8 << 20, "the write-ahead log is \(log) bytes")
        }
    }

    private struct OpenStore {
        let database: SQLiteStore
        let path: String

        func transaction(_ body: @escaping @Sendable (any SQLDatabase) async throws -> Void) async throws {
            try await database.transaction(body)
        }
    }

    private func count(_ store: OpenStore) async throws -> Int {
        try await store.database.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM item").first()?.decode(column: "n", as: Int.self) ?? -1
        }
    }

    /// `n` stores on one new file, closed (and the folder removed) afterwards.
    private func withStores(_ n: Int, _ body: ([OpenStore]) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-store-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/tessera.sqlite"
        var stores: [OpenStore] = []
        do {
            for _ in 0..<n { stores.append(OpenStore(database: try await SQLiteStore.open(path: path, logger: Harness.logger), path: path)) }
            try await body(stores)
        } catch {
            for store in stores { await store.database.close() }
            try? FileManager.default.removeItem(atPath: dir)
            throw error
        }
        for store in stores { await store.database.close() }
        try? FileManager.default.removeItem(atPath: dir)
    }
}
