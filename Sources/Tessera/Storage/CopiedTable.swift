import SQLKit

/// One table of a copy: its name, primary key (the order rows are read in) and every column.
struct CopiedTable: Sendable {
    let name: String
    let key: [String]
    let columns: [(name: String, kind: ColumnKind)]

    init(_ name: String, key: [String], _ columns: [(name: String, kind: ColumnKind)]) {
        self.name = name
        self.key = key
        self.columns = columns
    }

    var columnNames: [String] { columns.map(\.name) }

    /// Every column of a row, NULLs kept, ready to bind.
    func values(of row: any SQLRow) throws -> [any Encodable & Sendable] {
        try columns.map { try Self.value(row, $0.name, $0.kind) }
    }

    /// The primary key of a row, for the next batch's `WHERE (key) > (…)`.
    func keyValues(of row: any SQLRow) throws -> [any Encodable & Sendable] {
        try key.map { column in try Self.value(row, column, columns.first { $0.name == column }?.kind ?? .text) }
    }

    private static func value(_ row: any SQLRow, _ column: String, _ kind: ColumnKind) throws -> any Encodable & Sendable {
        kind.isNumeric ? try row.decode(column: column, as: Int64?.self) : try row.decode(column: column, as: String?.self)
    }
}
