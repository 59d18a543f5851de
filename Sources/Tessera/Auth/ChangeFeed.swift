import SQLKit

/// Tells every token cache about changes that can alter a token's verdict: this instance's cache
/// right after the commit, and, on PostgreSQL, every other instance's through a NOTIFY sent in the
/// change's own transaction (so it is delivered exactly when the change becomes visible).
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

    init(cache: TokenCache, engine: DatabaseEngine) {
        self.cache = cache
        self.engine = engine
    }

    /// Inside the transaction of the change.
    func announce(_ change: Change, in db: any SQLDatabase) async throws {
        guard engine == .postgres else { return }
        try await db.raw("SELECT pg_notify(\(bind: Self.channel), \(bind: change.payload))").run()
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
