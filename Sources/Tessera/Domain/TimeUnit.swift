/// Zabbix time units: a number with an optional suffix s, m, h, d or w ("30s", "15m", "0").
public enum TimeUnit {
    public static func seconds(_ text: String) -> Int? {
        guard let last = text.last else { return nil }
        let multipliers: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800]
        if let multiplier = multipliers[last] {
            return Int(text.dropLast()).map { $0 * multiplier }
        }
        return Int(text)
    }
}
