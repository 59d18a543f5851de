/// Zabbix time units: a number with an optional suffix s, m, h, d or w ("30s", "15m", "0").
public enum TimeUnit {
    /// The seconds `text` stands for; nil when it is not a time unit. A value too large for an `Int`
    /// is held at `Int.max` (or `Int.min`), which every range check then refuses, instead of
    /// overflowing (a crash) on input such as `"9999999999999999w"`.
    public static func seconds(_ text: String) -> Int? {
        guard let last = text.last else { return nil }
        let multipliers: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800]
        guard let multiplier = multipliers[last] else { return Int(text) }
        guard let number = Int(text.dropLast()) else { return nil }
        let (product, overflow) = number.multipliedReportingOverflow(by: multiplier)
        return overflow ? (number < 0 ? .min : .max) : product
    }
}
