import Logging
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit
import SQLiteNIO

/// SQLKit's view of one `SQLiteReadConnection`, so that the repositories read through it unchanged.
public struct SQLiteReadDatabase: SQLDatabase {
    let connection: SQLiteReadConnection
    public let logger: Logger

    public init(connection: SQLiteReadConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    public var eventLoop: any EventLoop { MultiThreadedEventLoopGroup.singleton.any() }
    public var dialect: any SQLDialect { SQLiteDialect() }
    /// Never logged: binds carry session ids and token hashes.
    public var queryLogLevel: Logger.Level? { nil }

    public func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        let (sql, binds) = serialize(query)
        let encoder = SQLiteDataEncoder()
        let values = try binds.map { try encoder.encode($0) }
        try connection.run(sql, binds: values) { onRow($0) }
    }

    public func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
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
        // The types the repositories read, without the Decoder machinery (most of a row's cost otherwise).
        switch data {
        case .integer(let n):
            if let value = Int64(n) as? D ?? n as? D { return value }
        case .text(let text):
            if let value = text as? D { return value }
        case .null:
            // A nil of one optional type casts to a nil of any other: this answers every `T?`.
            if let value = Optional<Int64>.none as? D { return value }
        default:
            break
        }
        return try SQLiteDataDecoder().decode(D.self, from: data)
    }

    private func value(_ column: String) -> SQLiteData? {
        columns.firstIndex(of: column).map { values[$0] }
    }
}
