/// The `<option>`s of a select: value, label and whether it is the current one. A current value the
/// list lacks (a time zone this system does not know) is kept as its own option, so saving the form
/// does not silently change it.
func selectOptions(_ pairs: [(String, String)], selected: String) -> [[String: Any]] {
    let all = selected.isEmpty || pairs.contains { $0.0 == selected } ? pairs : pairs + [(selected, selected)]
    return all.map { ["value": $0.0, "label": $0.1, "selected": $0.0 == selected] }
}
