import Foundation
import NIOConcurrencyHelpers
import Logging
import PostgresKit
import PostgresNIO
import SQLKit

/// PostgreSQL through a `PostgresClient` pool: for several instances sharing one database.
public final class PostgresStore: Database {
    public let engine = DatabaseEngine.postgres
    let client: PostgresClient
    private let runTask: Task<Void, Never>
    private let logger: Logger
    /// For connections outside the pool (the change listener).
    private let connectionConfiguration: PostgresConnection.Configuration

    private init(client: PostgresClient, connection: PostgresConnection.Configuration, logger: Logger) {
        self.client = client
        self.connectionConfiguration = connection
        self.logger = logger
        self.runTask = Task { await client.run() }
    }

    /// Connects to a `postgres://user:password@host:port/database` URL.
    public static func connect(url: String, maximumConnections: Int = 16, logger: Logger) throws -> PostgresStore {
        guard let components = URLComponents(string: url),
            components.scheme == "postgres" || components.scheme == "postgresql",
            let host = components.host, !host.isEmpty
        else {
            throw ConfigurationError("invalid database URL (expected postgres://user:password@host:port/database)")
        }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        var configuration = PostgresClient.Configuration(
            host: host,
            port: components.port ?? 5432,
            username: components.user ?? "postgres",
            password: components.password,
            database: database.isEmpty ? nil : database,
            tls: .disable
        )
        configuration.options.maximumConnections = maximumConnections
        let connection = PostgresConnection.Configuration(
            host: host, port: components.port ?? 5432, username: components.user ?? "postgres", password: components.password,
            database: database.isEmpty ? nil : database, tls: .disable)
        return PostgresStore(
            client: PostgresClient(configuration: configuration, backgroundLogger: logger), connection: connection, logger: logger)
    }

    /// Listens on `channel` on a connection of its own until cancelled, reconnecting after any loss.
    /// `listening` runs once each time LISTEN is in place, `lost` each time the connection is gone
    /// (from then until the next `listening`, notifications may be missed).
    func listen(
        channel: String, listening: @Sendable () -> Void, lost: @Sendable () -> Void, received: @Sendable (String) -> Void
    ) async {
        var attempt = 0
        while !Task.isCancelled {
            do {
                let connection = try await PostgresConnection.connect(configuration: connectionConfiguration, id: 0, logger: logger)
                do {
                    try await connection.listen(on: channel) { notifications in
                        attempt = 0
                        listening()
                        for try await notification in notifications { received(notification.payload) }
                    }
                } catch {
                    if !Task.isCancelled { logger.warning("change listener: \(String(describing: error))") }
                }
                try? await connection.close()
            } catch {
                if !Task.isCancelled { logger.warning("change listener cannot connect: \(String(describing: error))") }
            }
            lost()
            attempt += 1
            try? await Task.sleep(for: .milliseconds(min(100 * attempt, 2000)))
        }
    }

    /// How long a call waits for a connection before it fails (the pool itself would wait for as long
    /// as the database is down, holding every request).
    static let leaseTimeout: Duration = .seconds(3)

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await withLease { connection in
            try await body(connection.sql(queryLogLevel: nil, logger: self.logger))
        }
    }

    /// A pooled connection for `body`, or `DatabaseUnavailable` when none comes within `leaseTimeout`.
    private func withLease<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let leased = NIOLockedValueBox(false)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await self.client.withConnection { connection in
                    leased.withLockedValue { $0 = true }
                    return try await body(connection)
                }
            }
            group.addTask {
                try await Task.sleep(for: Self.leaseTimeout)
                return nil
            }
            while let next = try await group.next() {
                if let result = next {
                    group.cancelAll()
                    return result
                }
                // The deadline passed: fail unless the work already has its connection.
                if !leased.withLockedValue({ $0 }) {
                    group.cancelAll()
                    throw DatabaseUnavailable()
                }
            }
            throw DatabaseUnavailable()
        }
    }

    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await withLease { connection in
            let db = connection.sql(queryLogLevel: nil, logger: self.logger)
            try await uncancellable { try await db.raw("BEGIN").run() }
            do {
                let result = try await body(db)
                try await uncancellable { try await db.raw("COMMIT").run() }
                return result
            } catch {
                try? await uncancellable { try await db.raw("ROLLBACK").run() }
                throw error
            }
        }
    }

    public func close() async {
        runTask.cancel()
        _ = await runTask.value
    }
}

/// The database did not give a connection in time (it is down or overloaded); nothing was changed.
public struct DatabaseUnavailable: Error {}

/// A configuration value that cannot be used; the message names it.
public struct ConfigurationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
