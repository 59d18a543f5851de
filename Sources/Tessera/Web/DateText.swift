import Foundation

/// Dates as the UI shows and reads them: `Y-m-d H:i:s` in the viewer's time zone.
struct DateText: Sendable {
    let timezone: TimeZone

    init(timezone: TimeZone) { self.timezone = timezone }

    /// The user's zone: `default` follows the system setting, `system` the server's zone.
    init(userZone: String, defaultZone: String) {
        let name = userZone == "default" ? defaultZone : userZone
        timezone = name == "system" ? .current : (TimeZone(identifier: name) ?? .current)
    }

    private var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timezone
        return calendar
    }

    func format(_ unix: Int64) -> String {
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: TimeInterval(unix)))
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d", parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!, parts.second!)
    }

    /// Parses `YYYY[-MM[-DD[ hh[:mm[:ss]]]]]` (year 1000–2999, missing parts at their start);
    /// nil for anything else, including dates that do not exist.
    func parse(_ text: String) -> Int64? {
        let pattern = /^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2})(?: (\d{1,2})(?::(\d{1,2})(?::(\d{1,2}))?)?)?)?)?$/
        guard let match = text.wholeMatch(of: pattern) else { return nil }
        let year = Int(match.1)!
        let month = match.2.map { Int($0)! } ?? 1
        let day = match.3.map { Int($0)! } ?? 1
        let hour = match.4.map { Int($0)! } ?? 0
        let minute = match.5.map { Int($0)! } ?? 0
        let second = match.6.map { Int($0)! } ?? 0
        guard (1000...2999).contains(year), (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60 else { return nil }
        let components = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        guard let date = calendar.date(from: components) else { return nil }
        let back = calendar.dateComponents([.year, .month, .day], from: date)
        guard back.year == year, back.month == month, back.day == day else { return nil }
        return Int64(date.timeIntervalSince1970)
    }
}
