import Foundation
import SQLKit

/// Tells every token cache about changes that can alter a token's verdict: this instance's cache
/// right after the commit, and every other process's through the database, in the change's own
/// transaction (so it is seen exactly when the change becomes visible): on PostgreSQL a NOTIFY to
/// the other instances, on SQLite a row in `changelog` that other processes on the same file (the
/// CLI beside a running server) read every `pollInterval`.
final class ChangeFeed: Sendable {
    enum Change: Sendable, Equatable {
        case tokens([String])
        case everything

        /// The NOTIFY payload (at most 8000 bytes: long id lists become `all`).
        var payload: String {
            switch self {
            case .tokens(let ids) where ids.count <= 400: return "tokens:" + ids.joined(separator: ",")
            default: return "all"
            }
        }

        init(payload: String) {
            if payload.hasPrefix("tokens:") {
                self = .tokens(payload.dropFirst(7).split(separator: ",").map(String.init))
            } else {
                self = .everything
            }
        }
    }

    static let channel = "tessera_changes"

    let cache: TokenCache
    private let engine: DatabaseEngine
    /// Tells this process's own `changelog` rows from the others'.
    private let origin = UUID().uuidString
    static let pollInterval: Duration = .milliseconds(100)
    /// `changelog` rows kept; a reader that fell further behind drops its whole cache.
    private static let kept = 1000

    init(cache: TokenCache, engine: DatabaseEngine) {
        self.cache = cache
        self.engine = engine
    }

    /// Inside the transaction of the change.
    func announce(_ change: Change, in db: any SQLDatabase) async throws {
        switch engine {
        case .postgres:
            try await ChangeLogRepository.notify(db, channel: Self.channel, payload: change.payload)
        case .sqlite:
            try await ChangeLogRepository.append(db, origin: origin, payload: change.payload, keeping: Self.kept)
        }
    }

    /// On SQLite: applies the changes other processes log, until cancelled.
    func follow(_ database: any Database) async {
        var seen = (try? await Self.latest(database)) ?? 0
        while !Task.isCancelled {
            try? await Task.sleep(for: Self.pollInterval)
            let from = seen
            guard
                let entries = try? await database.read({ db in try await ChangeLogRepository.entries(db, from: from) })
            else { continue }
            // The row last seen is read again: when it is gone, rows were pruned unseen.
            if seen > 0, entries.first?.id != seen { cache.invalidateAll() }
            for entry in entries where entry.id > seen && entry.origin != origin { apply(Change(payload: entry.payload)) }
            seen = entries.last?.id ?? seen
        }
    }

    private static func latest(_ database: any Database) async throws -> Int64 {
        try await database.read { db in try await ChangeLogRepository.latest(db) }
    }

    /// After the commit and before the answer: this instance's cache (and, from the listener, a
    /// change another instance announced).
    func apply(_ change: Change) {
        switch change {
        case .tokens(let ids): cache.invalidate(tokenids: ids)
        case .everything: cache.invalidateAll()
        }
    }
}
