import Foundation
import Logging
import NIOConcurrencyHelpers
import PostgresKit
import PostgresNIO
import SQLKit

/// PostgreSQL through a `PostgresClient` pool: for several instances sharing one database.
public final class PostgresStore: Database {
    public let engine = DatabaseEngine.postgres
    let client: PostgresClient
    private let runTask: Task<Void, Never>
    let logger: Logger
    private let availability = Availability()
    private let usage = ConnectionUsage()
    private let maximumConnections: Int
    public var connectionsInUse: Int { usage.current }
    /// Where the server is and how the connection is protected (for the start-up check's messages).
    let url: PostgresURL
    /// For connections outside the pool (the change listener, the start-up check).
    let connectionConfiguration: PostgresConnection.Configuration

    private init(client: PostgresClient, url: PostgresURL, connection: PostgresConnection.Configuration, maximumConnections: Int, logger: Logger) {
        self.client = client
        self.url = url
        self.maximumConnections = maximumConnections
        self.connectionConfiguration = connection
        self.logger = logger
        // Started at once, so that the pool runs before the first query asks it for a connection.
        self.runTask = Task.immediate { await client.run() }
    }

    /// Connects to a `postgres://user:password@host:port/database` URL, with libpq's TLS parameters
    /// (`?sslmode=verify-full&sslrootcert=ca.pem`, see ``PostgresURL``). Nothing connects yet.
    public static func connect(url text: String, maximumConnections: Int = 16, logger: Logger) throws -> PostgresStore {
        let url = try PostgresURL(parsing: text)
        var configuration = PostgresClient.Configuration(
            host: url.host,
            port: url.port,
            username: url.username,
            password: url.password,
            database: url.database,
            tls: url.tls.client
        )
        configuration.options.maximumConnections = maximumConnections
        let connection = PostgresConnection.Configuration(
            host: url.host,
            port: url.port,
            username: url.username,
            password: url.password,
            database: url.database,
            tls: url.tls.connection
        )
        return PostgresStore(
            client: PostgresClient(configuration: configuration, backgroundLogger: logger),
            url: url,
            connection: connection,
            maximumConnections: maximumConnections,
            logger: logger
        )
    }

    /// Listens on `channel` on a connection of its own until cancelled, reconnecting after any loss.
    /// `listening` runs once each time LISTEN is in place, `lost` each time the connection is gone
    /// (from then until the next `listening`, notifications may be missed).
    func listen(
        channel: String,
        listening: @Sendable () -> Void,
        lost: @Sendable () -> Void,
        received: @Sendable (String) -> Void
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

    /// How long an operation waits for a connection while the pool could open one, before the
    /// database counts as away (the pool itself would wait for as long as it is down).
    static let leaseTimeout: Duration = .seconds(3)
    /// How long an operation waits for a connection while all are busy (an overload, not an outage).
    static let busyLeaseTimeout: Duration = .seconds(30)
    /// How long one statement may take at most. A statement sent on a connection PostgreSQL is
    /// dropping may otherwise wait for the socket to time out; such statements are given up as soon
    /// as the database is found away (`Availability`), this is only the bound for everything else.
    static let statementTimeout: Duration = .seconds(30)

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await guarded {
            try await self.withLease { connection in try await body(self.sql(connection)) }
        }
    }

    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await AuditTrail.collecting(logger) {
            try await guarded {
                try await self.withLease { connection in try await bracketed(self.sql(connection), begin: "BEGIN", body) }
            }
        }
    }

    private func sql(_ connection: PostgresConnection) -> any SQLDatabase {
        StatementDeadline(
            connection: connection,
            database: connection.sql(queryLogLevel: nil, logger: logger),
            limit: Self.statementTimeout,
            availability: availability
        )
    }

    /// Fails at once while the database is known to be away, and turns losing a connection into `DatabaseUnavailable`.
    private func guarded<T: Sendable>(_ operation: () async throws -> T) async throws -> T {
        try availability.check()
        do {
            let result = try await operation()
            availability.reachable()
            return result
        } catch let error where Self.meansUnavailable(error) {
            throw DatabaseUnavailable()
        }
    }

    /// Errors that say the database cannot be reached, as opposed to a query it refused.
    static func meansUnavailable(_ error: any Error) -> Bool {
        if error is DatabaseUnavailable { return true }
        guard let error = error as? PSQLError else { return false }
        switch error.code {
        case .server:
            // Class 08 (connection exception) and 57 (operator intervention: shutting down, starting up).
            let state = error.serverInfo?[.sqlState] ?? ""
            return state.hasPrefix("08") || state.hasPrefix("57")
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed:
            return true
        default:
            return false
        }
    }

    /// A pooled connection for `body`, or `DatabaseUnavailable` when none comes in time: within
    /// `leaseTimeout` while the pool has room for another connection (it cannot open one: the
    /// database is away), within `busyLeaseTimeout` while every connection is in use.
    private func withLease<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let leased = NIOLockedValueBox(false)
        let started = ContinuousClock.now
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await self.withOpenConnection { connection in
                    leased.withLockedValue { $0 = true }
                    return try await self.usage.track { try await body(connection) }
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
                if leased.withLockedValue({ $0 }) { continue }  // the work has its connection: no deadline
                let busy = usage.current >= maximumConnections
                if busy, ContinuousClock.now - started < Self.busyLeaseTimeout {
                    group.addTask {
                        try await Task.sleep(for: Self.leaseTimeout)
                        return nil
                    }
                    continue
                }
                group.cancelAll()
                if !busy { availability.unreachable() }
                throw DatabaseUnavailable()
            }
            throw DatabaseUnavailable()
        }
    }

    /// A pooled connection that is open when `body` gets it. The pool may hand out a connection
    /// PostgreSQL has just dropped before it has heard of the close, and PostgresNIO never answers a
    /// statement written to a closed channel (the write fails with no one told): the operation would
    /// wait for its statement deadline. Such a connection goes back to the pool (which drops it) and
    /// the next one is taken.
    private func withOpenConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        for _ in 0..<Self.closedLeaseAttempts {
            do {
                return try await client.withConnection { connection in
                    guard !connection.isClosed else { throw ClosedOnArrival() }
                    return try await body(connection)
                }
            } catch is ClosedOnArrival {
                logger.debug("the pool handed out a closed connection: taking another")
            }
        }
        throw DatabaseUnavailable()
    }

    /// How many closed connections in a row an operation passes over before the database counts as away.
    static let closedLeaseAttempts = 4

    public func close() async {
        runTask.cancel()
        _ = await runTask.value
    }
}

/// A leased connection that was closed before its first statement (see `PostgresStore.withOpenConnection`).
private struct ClosedOnArrival: Error {}
