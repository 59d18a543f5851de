import SQLKit

/// How a column is stored and how `get` methods print it (every value as a string, NULL as "0", as Zabbix's read layer does).
enum ColumnKind: Sendable {
    case id
    case int
    case text

    var isNumeric: Bool { self != .text }
}

/// The readable columns of a table, in the order `output: "extend"` returns them.
struct Table: Sendable {
    let name: String
    let primaryKey: String
    let columns: [(name: String, kind: ColumnKind)]

    var columnNames: [String] { columns.map(\.name) }

    func kind(of column: String) -> ColumnKind? { columns.first { $0.name == column }?.kind }

    /// The primary key of a row as a string.
    func key(of row: any SQLRow) throws -> String {
        kind(of: primaryKey) == .text
            ? try row.decode(column: primaryKey, as: String.self)
            : String(try row.decode(column: primaryKey, as: Int64.self))
    }

    /// Reads the given columns of a row as the API prints them.
    func decode(_ row: any SQLRow, columns wanted: [String]) throws -> JSONObject {
        var object = JSONObject()
        for column in wanted {
            switch kind(of: column) ?? .text {
            case .id, .int:
                object[column] = .string(String(try row.decode(column: column, as: Int64?.self) ?? 0))
            case .text:
                object[column] = .string(try row.decode(column: column, as: String?.self) ?? "")
            }
        }
        return object
    }
}

/// A WHERE clause under construction; parts are joined with AND.
struct Conditions: Sendable {
    private(set) var parts: [SQLQueryString] = []

    mutating func add(_ condition: SQLQueryString) { parts.append(condition) }

    /// A condition that no row satisfies.
    static let never: SQLQueryString = "1 = 0"

    var clause: SQLQueryString {
        parts.isEmpty ? "" : " WHERE " + parts.map { "(" + $0 + ")" }.joined(separator: " AND ")
    }
}

extension SQLQueryString {
    /// `column IN (…)` over ids or values; an empty list matches nothing. `column` is a name from
    /// the code (or a key already checked against a `Table`), never caller input, and may be
    /// qualified (`u.userid`): written as is, not quoted like `\(name:)`.
    static func among(_ column: String, _ values: [any Encodable & Sendable]) -> SQLQueryString {
        values.isEmpty ? Conditions.never : "\(unsafeRaw: column) IN (\(binds: values))"
    }

    /// Joins conditions with a boolean operator, each in parentheses.
    static func combine(_ parts: [SQLQueryString], with op: String) -> SQLQueryString {
        parts.count == 1 ? parts[0] : parts.map { "(" + $0 + ")" }.joined(separator: " \(op) ")
    }

    /// A table or column name from the code (or a key already checked against a `Table`), quoted.
    /// Such names never hold a quote, so SQLKit's escaping pass (`\(ident:)`), the costliest part of
    /// serialising a `get` query, is skipped.
    mutating func appendInterpolation(name: String) {
        appendInterpolation(unsafeRaw: "\"" + name + "\"")
    }

    /// Names as above, separated by commas.
    mutating func appendInterpolation(names: [String]) {
        appendInterpolation(unsafeRaw: names.map { "\"" + $0 + "\"" }.joined(separator: ", "))
    }
}

extension Array where Element == SQLQueryString {
    func joined(separator: String) -> SQLQueryString {
        var result: SQLQueryString = ""
        for (index, part) in enumerated() {
            if index > 0 { result += SQLQueryString(separator) }
            result += part
        }
        return result
    }
}
