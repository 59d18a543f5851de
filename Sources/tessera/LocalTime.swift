import ArgumentParser
import Foundation

/// Times on the command line, shown and read in this machine's time zone (`TZ`) as `2025-12-31 18:00:00`.
enum LocalTime {
    private static var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .current
        return calendar
    }

    /// A unix time as local date and time.
    static func text(_ unixTime: Int64) -> String {
        let parts = calendar.dateComponents(
            [.year, .month, .day, .hour, .minute, .second],
            from: Date(timeIntervalSince1970: TimeInterval(unixTime))
        )
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d", parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!, parts.second!)
    }

    /// `--expires`: `never` (0), unix seconds, or an ISO 8601 date (`2025-12-31`: its first second) or
    /// date and time (`2025-12-31T18:00`, `2025-12-31 18:00:00`), local unless followed by `Z` or an
    /// offset (`+02:00`). The token service checks the range.
    static func expiry(_ text: String) throws -> Int64 {
        if text == "never" { return 0 }
        if !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }), let seconds = Int64(text) { return seconds }
        let pattern = #/(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?/#
        guard let match = text.wholeMatch(of: pattern) else {
            throw ValidationError("use never, unix seconds, or an ISO 8601 date or date and time such as 2025-12-31 or 2025-12-31T18:00:00Z")
        }
        var calendar = calendar
        if let zone = match.output.7 {
            calendar.timeZone = TimeZone(secondsFromGMT: offset(String(zone)))!
        }
        let wanted = DateComponents(
            year: Int(match.output.1)!,
            month: Int(match.output.2)!,
            day: Int(match.output.3)!,
            hour: match.output.4.map { Int($0)! } ?? 0,
            minute: match.output.5.map { Int($0)! } ?? 0,
            second: match.output.6.map { Int($0)! } ?? 0
        )
        // Rejects what the calendar would roll over (2025-02-30, 24:00).
        func fields(_ parts: DateComponents) -> [Int?] { [parts.year, parts.month, parts.day, parts.hour, parts.minute, parts.second] }
        guard let date = calendar.date(from: wanted),
            fields(calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)) == fields(wanted)
        else {
            throw ValidationError("\(text) is not a valid date and time")
        }
        return Int64(date.timeIntervalSince1970)
    }

    /// `Z`, `+02`, `+0200` or `+02:00` in seconds east of UTC.
    private static func offset(_ zone: String) -> Int {
        guard zone != "Z" else { return 0 }
        let digits = zone.dropFirst().filter(\.isNumber)
        let hours = Int(digits.prefix(2))!
        let minutes = Int(digits.dropFirst(2)) ?? 0
        return (zone.first == "-" ? -1 : 1) * (hours * 3600 + minutes * 60)
    }
}
