import Testing

@testable import Tessera

/// The per-address failure limit: once over it, an address's logins are refused untried, but its valid
/// tokens and sessions are still accepted (many clients may share one address).
@Suite("Failure limiter")
struct FailureLimiterTests {
    static func tooMany(_ seconds: Int) -> APIError {
        .application("Too many failed authentication attempts from this address. Try again in \(seconds) seconds.")
    }

    @Test func aThrottledAddressStillAuthenticatesValidCredentials() async throws {
        let clock = ManualClock()
        let limiter = FailureLimiter(limit: 2, clock: clock.unixTime)
        await #expect(throws: APIError.notAuthorized) { try await limiter.counting("10.0.0.1") { () throws -> Int in throw APIError.notAuthorized } }
        clock.advance(15)
        await #expect(throws: APIError.sessionTerminated) {
            try await limiter.counting("10.0.0.1") { () throws -> Int in throw APIError.sessionTerminated }
        }
        // Over the limit: a valid credential passes, a wrong one gets the throttling answer, a login is refused untried.
        #expect(try await limiter.counting("10.0.0.1") { 7 } == 7)
        await #expect(throws: Self.tooMany(45)) { try await limiter.counting("10.0.0.1") { () throws -> Int in throw APIError.notAuthorized } }
        #expect(throws: Self.tooMany(45)) { try limiter.check("10.0.0.1") }
        // Not a guess (an expired token): passed on as it is.
        await #expect(throws: APIError.application("API token expired.")) {
            try await limiter.counting("10.0.0.1") { () throws -> Int in throw APIError.application("API token expired.") }
        }
        // Another address has its own count.
        try limiter.check("10.0.0.2")
        await #expect(throws: APIError.notAuthorized) { try await limiter.counting("10.0.0.2") { () throws -> Int in throw APIError.notAuthorized } }
        // Once the window (from the first failure) is over, the address starts afresh.
        clock.advance(44)
        #expect(throws: Self.tooMany(1)) { try limiter.check("10.0.0.1") }
        clock.advance(1)
        try limiter.check("10.0.0.1")
        await #expect(throws: APIError.notAuthorized) { try await limiter.counting("10.0.0.1") { () throws -> Int in throw APIError.notAuthorized } }
    }
}
