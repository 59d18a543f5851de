import Foundation
import NIOConcurrencyHelpers

/// Collision-resistant ids as Zabbix writes them for audit records: `c`, a base-36 millisecond
/// timestamp (8), a counter (4), a process fingerprint (4) and random characters (8) — 25 in all.
/// Every API call gets one (its audit records share it), so it is built without intermediate strings.
enum CUID {
    /// The counter and the random state, advanced together under one lock.
    private struct State {
        var counter = 0
        /// SplitMix64, seeded once from the system generator: the random characters only keep ids of
        /// one millisecond apart, they guard nothing (Zabbix draws them with mt_rand), so no system call per id.
        var random = UInt64.random(in: .min ... .max)

        mutating func nextRandom() -> UInt64 {
            random &+= 0x9E37_79B9_7F4A_7C15
            var z = random
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    private static let state = NIOLockedValueBox(State())
    private static let block = 36 * 36 * 36 * 36
    private static let fingerprint: Int = {
        let pid = Int(ProcessInfo.processInfo.processIdentifier)
        let host = ProcessInfo.processInfo.hostName.unicodeScalars.reduce(0) { $0 &+ Int($1.value) }
        return (pid % (36 * 36)) * 36 * 36 + host % (36 * 36)
    }()
    private static let digits = Array("0123456789abcdefghijklmnopqrstuvwxyz".utf8)

    static func make(milliseconds: Int64 = Int64(Date().timeIntervalSince1970 * 1000)) -> String {
        let (count, random) = state.withLockedValue { state -> (Int, UInt64) in
            state.counter = (state.counter + 1) % block
            return (state.counter, state.nextRandom())
        }
        var out = [UInt8](repeating: UInt8(ascii: "c"), count: 25)
        /// Writes the last `length` base-36 digits of `value` (zero-padded) ending before `end`.
        func put(_ value: Int, _ length: Int, endingAt end: Int) {
            var rest = value
            for index in stride(from: end - 1, through: end - length, by: -1) {
                out[index] = digits[rest % 36]
                rest /= 36
            }
        }
        put(Int(milliseconds), 8, endingAt: 9)
        put(count, 4, endingAt: 13)
        put(fingerprint, 4, endingAt: 17)
        put(Int(random % UInt64(block)), 4, endingAt: 21)
        put(Int((random >> 32) % UInt64(block)), 4, endingAt: 25)
        return String(decoding: out, as: UTF8.self)
    }
}
