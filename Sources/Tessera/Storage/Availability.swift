import NIOConcurrencyHelpers

/// The database did not give a connection in time (it is down or overloaded); nothing was changed.
struct DatabaseUnavailable: Error, CustomStringConvertible {
    var description: String { "the database cannot be reached" }
}

/// Whether the database gave connections the last time. Once it did not (a wait for a connection
/// timed out although the pool had room for one), operations fail at once for `pause` instead of
/// each waiting out its own timeout (a web page makes several reads), and the statements still
/// waiting for an answer are given up (`watch`): PostgreSQL is gone, their answers will not come.
final class Availability: Sendable {
    private struct State {
        var awayUntil: ContinuousClock.Instant?
        var watchers: [UInt64: @Sendable () -> Void] = [:]
        var nextWatcher: UInt64 = 0
    }

    private let state = NIOLockedValueBox(State())
    let pause: Duration

    init(pause: Duration = .seconds(1)) { self.pause = pause }

    func check() throws {
        let away = state.withLockedValue { $0.awayUntil }
        if let away, ContinuousClock.now < away { throw DatabaseUnavailable() }
    }

    func unreachable() {
        let watchers = state.withLockedValue { state in
            state.awayUntil = ContinuousClock.now + pause
            defer { state.watchers.removeAll() }
            return Array(state.watchers.values)
        }
        for away in watchers { away() }
    }

    func reachable() {
        if state.withLockedValue({ $0.awayUntil }) != nil { state.withLockedValue { $0.awayUntil = nil } }
    }

    /// Calls `away` once if the database is found away before `unwatch`.
    func watch(_ away: @escaping @Sendable () -> Void) -> UInt64 {
        state.withLockedValue { state in
            state.nextWatcher += 1
            state.watchers[state.nextWatcher] = away
            return state.nextWatcher
        }
    }

    func unwatch(_ id: UInt64) { _ = state.withLockedValue { $0.watchers.removeValue(forKey: id) } }
}
