import NIOConcurrencyHelpers

/// What authenticating a token needs, kept in memory by the token's digest so that the hot path makes no
/// database read. Every change that can affect a token's verdict invalidates before it is
/// acknowledged: token changes by id, user, group and role changes all at once.
///
/// Invalidation is by generation: a lookup notes the generation before it reads the database and
/// may only store its result if nothing it read was invalidated since, so a read that raced with a
/// change can never leave a stale entry behind.
final class TokenCache: Sendable {
    struct Entry: Sendable {
        let tokenid: TokenID
        let expiresAt: Int64
        let account: UserAccount
        let rules: RoleRules
        /// The generation when the database read that made this entry began.
        let generation: UInt64
    }

    private struct State {
        /// False while changes made elsewhere might go unseen (the change listener is not connected).
        var trusted: Bool
        var generation: UInt64 = 0
        /// Generation of the last invalidation of everything.
        var allInvalidatedAt: UInt64 = 0
        /// Generation of the last invalidation of each token id.
        var tokenInvalidatedAt: [TokenID: UInt64] = [:]
        var entries: [TokenDigest: Entry] = [:]
    }

    private let state: NIOLockedValueBox<State>
    let capacity: Int

    /// `trusted` false starts with the cache off until `trust()` (when changes arrive from elsewhere).
    init(capacity: Int, trusted: Bool = true) {
        self.capacity = capacity
        self.state = NIOLockedValueBox(State(trusted: trusted))
    }

    /// Stops serving entries: from now on every lookup reads the database.
    func distrust() { reset(trusted: false) }

    /// Serves entries again, starting empty (called once changes are being received again).
    func trust() { reset(trusted: true) }

    /// The generation to pass to `store` after reading the database.
    var generation: UInt64 { state.withLockedValue { $0.generation } }

    func entry(for digest: TokenDigest) -> Entry? {
        state.withLockedValue { state in
            guard state.trusted, let entry = state.entries[digest] else { return nil }
            guard Self.isCurrent(entry, state) else {
                state.entries[digest] = nil
                return nil
            }
            return entry
        }
    }

    func store(_ entry: Entry, for digest: TokenDigest) {
        state.withLockedValue { state in
            guard state.trusted, Self.isCurrent(entry, state) else { return }
            if state.entries.count >= capacity { state.entries.removeAll(keepingCapacity: true) }
            state.entries[digest] = entry
        }
    }

    private static func isCurrent(_ entry: Entry, _ state: State) -> Bool {
        entry.generation >= state.allInvalidatedAt && entry.generation >= (state.tokenInvalidatedAt[entry.tokenid] ?? 0)
    }

    /// After a committed change of these tokens (update, generate, delete).
    func invalidate(tokenids: [String]) {
        state.withLockedValue { state in
            state.generation += 1
            for id in tokenids.compactMap({ TokenID($0) }) { state.tokenInvalidatedAt[id] = state.generation }
        }
    }

    /// After a committed change of users, groups or roles (or anything else that may matter).
    func invalidateAll() { reset(trusted: nil) }

    /// Drops every entry and makes every lookup under way unable to store its result.
    private func reset(trusted: Bool?) {
        state.withLockedValue { state in
            state.generation += 1
            state.allInvalidatedAt = state.generation
            state.tokenInvalidatedAt.removeAll()
            state.entries.removeAll()
            if let trusted { state.trusted = trusted }
        }
    }
}
