import NIOConcurrencyHelpers

/// Counts failed authentications (unknown or revoked tokens, ended sessions, wrong passwords) per
/// client address. Once an address has failed `limit` times within `window` seconds it is throttled
/// until the window is over:
///
/// - Logins (`check` before the password) are refused without being tried: a password can be
///   guessed, and every try costs a bcrypt hash.
/// - Tokens and sessions (`counting`) are still checked, and a valid one is accepted: they are 256
///   and 128 random bits, which no number of tries guesses, and many clients may share the address
///   (a proxy that is not declared trusted, a NAT), so that one abusive client must not lock the
///   others out. A wrong one is refused with the throttling answer instead of `Not authorized.`.
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
        if let refusal = refusal(address) { throw refusal }
    }

    /// The throttling answer while `address` is over its limit; nil otherwise.
    private func refusal(_ address: String) -> APIError? {
        guard limit > 0 else { return nil }
        let now = clock.now
        let retryAfter = counts.withLockedValue { counts -> Int64? in
            guard let entry = counts[address], entry.count >= limit, now < entry.since + window else { return nil }
            return entry.since + window - now
        }
        return retryAfter.map { APIError.application("Too many failed authentication attempts from this address. Try again in \($0) seconds.") }
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

    /// Runs a token or session authentication for `address`, counting it when it fails for want of
    /// a valid credential (an expired token is not a guess). A valid credential is accepted even
    /// while the address is over its limit; a failure then answers the throttling refusal.
    func counting<T>(_ address: String, _ authenticate: () async throws -> T) async throws -> T {
        do {
            return try await authenticate()
        } catch let error as APIError where error == .notAuthorized || error == .sessionTerminated {
            let throttled = refusal(address)
            failed(address)
            throw throttled ?? error
        }
    }
}
