import Testing

@testable import Tessera

/// Zabbix time units, including values too large for an integer once multiplied.
@Suite("time units")
struct TimeUnitTests {
    @Test func valuesAndOverflow() {
        #expect(TimeUnit.seconds("90s") == 90)
        #expect(TimeUnit.seconds("15m") == 900)
        #expect(TimeUnit.seconds("0") == 0)
        #expect(TimeUnit.seconds("2w") == 1_209_600)
        #expect(TimeUnit.seconds("x") == nil)
        #expect(TimeUnit.seconds("") == nil)
        #expect(TimeUnit.seconds("9999999999999999w") == .max)
        #expect(TimeUnit.seconds("-9999999999999999w") == .min)
    }

    /// Any user may send this for their own account: it used to overflow and stop the server.
    @Test func aHugeAutologoutIsRefusedByValidation() async throws {
        try await Harness.with(.sqlite) { (h: Harness) async throws in
            let admin = try await h.login()
            let huge = try await h.call("user.update", ["userid": "1", "autologout": "9999999999999999w"], auth: admin)
            let large = try await h.call("user.update", ["userid": "1", "autologout": "99999w"], auth: admin)
            #expect(huge == large)
            #expect(huge["error"]?["data"]?.stringValue?.hasPrefix(#"Invalid parameter "/1/autologout": value must be one of "#) == true)
        }
    }
}
