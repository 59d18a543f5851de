import Logging
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit
import SQLiteNIO

/// SQLKit's view of one `SQLiteReadConnection`, so that the repositories read through it unchanged.
struct SQLiteReadDatabase: SQLDatabase {
    let connection: SQLiteReadConnection
    let logger: Logger
    var eventLoop: any EventLoop { MultiThreadedEventLoopGroup.singleton.any() }
    var dialect: any SQLDialect { SQLiteDialect() }
    /// Never logged: binds carry session ids and token hashes.
    var queryLogLevel: Logger.Level? { nil }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        let (sql, binds) = serialize(query)
        let encoder = SQLiteDataEncoder()
        let values = try binds.map { try encoder.encode($0) }
        try connection.run(sql, binds: values) { onRow($0) }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        let promise = eventLoop.makePromise(of: Void.self)
        promise.completeWithTask { try await self.execute(sql: query, onRow) }
        return promise.futureResult
    }
}

/// One row read by `SQLiteReadConnection`.
struct SQLiteReadRow: SQLRow {
    let columns: [String]
    let values: [SQLiteData]

    var allColumns: [String] { columns }

    func contains(column: String) -> Bool { columns.contains(column) }

    func decodeNil(column: String) throws -> Bool { (value(column) ?? .null) == .null }

    func decode<D: Decodable>(column: String, as type: D.Type) throws -> D {
        guard let data = value(column) else {
            throw SQLiteReadConnection.Failure(description: "no column \"\(column)\" in the row")
        }
        return try SQLiteDataDecoder().decode(D.self, from: data)
    }

    private func value(_ column: String) -> SQLiteData? {
        columns.firstIndex(of: column).map { values[$0] }
    }
}
