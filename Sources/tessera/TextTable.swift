/// Rows for people: a header and left-aligned columns two spaces apart. Control characters in cells
/// (a newline or an escape sequence in a token name) are shown as `?`, so that a cell can neither
/// break the layout nor drive the terminal.
struct TextTable {
    let header: [String]
    var rows: [[String]] = []

    init(_ header: String...) {
        self.header = header
    }

    mutating func add(_ cells: String...) {
        rows.append(cells.map { String($0.map { $0.unicodeScalars.contains { $0.properties.generalCategory == .control } ? "?" : $0 }) })
    }

    func rendered() -> String {
        let lines = [header] + rows
        let widths = header.indices.map { column in lines.map { $0[column].count }.max() ?? 0 }
        return lines.map { cells in
            zip(cells, widths).map { cell, width in cell + String(repeating: " ", count: width - cell.count) }
                .joined(separator: "  ").trimmingTrailingSpaces()
        }.joined(separator: "\n")
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
