import NIOConcurrencyHelpers

/// Counts failed authentications (unknown or revoked tokens, ended sessions, wrong passwords) per
/// client address. Once an address has failed `limit` times within `window` seconds, its calls that
/// need authentication are refused without being tried until the window is over: a brute force
/// costs the attacker the window, and costs the server one dictionary lookup per call.
final class FailureLimiter: Sendable {
    /// Failures allowed per address and window; 0 turns the limit off.
    let limit: Int
    let window: Int64
    private let clock: UnixTime
    private let counts = NIOLockedValueBox<[String: (count: Int, since: Int64)]>([:])
    /// Addresses remembered at most; beyond, the oldest windows are forgotten first.
    private static let capacity = 100_000

    init(limit: Int, window: Int64 = 60, clock: UnixTime) {
        self.limit = limit
        self.window = window
        self.clock = clock
    }

    /// The refusal while `address` is over its limit.
    func check(_ address: String) throws {
        guard limit > 0 else { return }
        let now = clock.now
        let retryAfter = counts.withLockedValue { counts -> Int64? in
            guard let entry = counts[address], entry.count >= limit, now < entry.since + window else { return nil }
            return entry.since + window - now
        }
        if let retryAfter {
            throw APIError.application(
                "Too many failed authentication attempts from this address. Try again in \(retryAfter) seconds."
            )
        }
    }

    /// Notes one failed authentication from `address`.
    func failed(_ address: String) {
        guard limit > 0 else { return }
        let now = clock.now
        counts.withLockedValue { counts in
            if let entry = counts[address], now < entry.since + window {
                counts[address] = (entry.count + 1, entry.since)
                return
            }
            if counts.count >= Self.capacity {
                counts = counts.filter { now < $0.value.since + window }
                if counts.count >= Self.capacity { counts.removeAll() }
            }
            counts[address] = (1, now)
        }
    }

    /// Runs an authentication for `address`: refused while the address is over its limit, and
    /// counted when it fails for want of a valid credential (an expired token is not a guess).
    func counting<T>(_ address: String, _ authenticate: () async throws -> T) async throws -> T {
        try check(address)
        do {
            return try await authenticate()
        } catch let error as APIError where error == .notAuthorized || error == .sessionTerminated {
            failed(address)
            throw error
        }
    }
}
