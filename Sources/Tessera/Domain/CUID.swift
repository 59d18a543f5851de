import Foundation
import NIOConcurrencyHelpers

/// Collision-resistant ids as Zabbix writes them for audit records: `c`, a base-36 millisecond
/// timestamp (8), a counter (4), a process fingerprint (4) and random characters (8) — 25 in all.
public enum CUID {
    private static let counter = NIOLockedValueBox(0)
    private static let fingerprint: String = {
        let pid = Int(ProcessInfo.processInfo.processIdentifier)
        let host = ProcessInfo.processInfo.hostName.unicodeScalars.reduce(0) { $0 &+ Int($1.value) }
        return pad(base36(pid), 2) + pad(base36(host), 2)
    }()

    public static func make(milliseconds: Int64 = Int64(Date().timeIntervalSince1970 * 1000)) -> String {
        let count = counter.withLockedValue { value -> Int in
            value = (value + 1) % (36 * 36 * 36 * 36)
            return value
        }
        var random = ""
        for _ in 0..<2 { random += pad(base36(Int.random(in: 0..<(36 * 36 * 36 * 36))), 4) }
        return "c" + pad(base36(Int(milliseconds)), 8) + pad(base36(count), 4) + fingerprint + random
    }

    private static func base36(_ value: Int) -> String { String(value, radix: 36) }

    /// Left-pads with zeros, or keeps the last `length` characters.
    private static func pad(_ s: String, _ length: Int) -> String {
        s.count >= length ? String(s.suffix(length)) : String(repeating: "0", count: length - s.count) + s
    }
}
