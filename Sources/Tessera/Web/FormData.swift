import Foundation

/// An `application/x-www-form-urlencoded` body or query string; repeated names (`ids[]`) keep every value.
struct FormData: Sendable {
    private(set) var values: [String: [String]] = [:]

    init(_ encoded: String) {
        for pair in encoded.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(parts[0])
            let value = parts.count > 1 ? Self.decode(parts[1]) : ""
            values[name, default: []].append(value)
        }
    }

    private static func decode(_ part: Substring) -> String {
        part.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
    }

    /// The last value of a name (the one a browser's checkbox after its hidden fallback sends).
    subscript(_ name: String) -> String? { values[name]?.last }

    func all(_ name: String) -> [String] { values[name] ?? [] }

    /// Ids from repeated fields, digits only.
    func ids(_ name: String) -> [String] {
        all(name).filter { !$0.isEmpty && $0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }
    }
}

/// The `<option>`s of a select: value, label and whether it is the current one. A current value the
/// list lacks (a time zone this system does not know) is kept as its own option, so saving the form
/// does not silently change it.
func selectOptions(_ pairs: [(String, String)], selected: String) -> [[String: Any]] {
    let all = selected.isEmpty || pairs.contains { $0.0 == selected } ? pairs : pairs + [(selected, selected)]
    return all.map { ["value": $0.0, "label": $0.1, "selected": $0.0 == selected] }
}
