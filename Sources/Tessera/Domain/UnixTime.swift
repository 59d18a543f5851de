import Foundation

/// Wall-clock time in whole Unix seconds, the unit of every timestamp Zabbix stores.
public struct UnixTime: Sendable {
    private let source: @Sendable () -> Int64

    public init(_ source: @escaping @Sendable () -> Int64) { self.source = source }

    public var now: Int64 { source() }

    /// The system clock.
    public static let system = UnixTime { UnixTime.now() }

    public static func now() -> Int64 { Int64(Date().timeIntervalSince1970) }
}
