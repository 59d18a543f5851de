import Foundation
import SQLKit

/// The common options of every `*.get` method, read from validated parameters.
struct GetOptions: Sendable {
    enum Output: Sendable, Equatable {
        case extend
        case fields([String])
    }

    var output: Output = .extend
    var countOutput = false
    var preserveKeys = false
    var sortFields: [String] = []
    /// One order for all fields (a string) or one per field (a list).
    var sortOrders: [String] = []
    var limit: Int?
    var filter: JSONObject?
    var search: JSONObject?
    var searchByAny = false
    var startSearch = false
    var searchWildcards = false

    /// Every row, every column, in primary key order.
    init() {}

    init(_ params: JSONObject) {
        switch params["output"] {
        case .array(let items)?: output = .fields(items.compactMap(\.stringValue))
        case .string(let s)? where s != "extend": output = .fields([])
        default: output = .extend
        }
        countOutput = params["countOutput"].isTrue
        preserveKeys = params["preservekeys"].isTrue
        searchByAny = params["searchByAny"].isTrue
        startSearch = params["startSearch"].isTrue
        searchWildcards = params["searchWildcardsEnabled"].isTrue
        switch params["sortfield"] {
        case .string(let s)?: sortFields = [s]
        case .array(let items)?: sortFields = items.compactMap(\.stringValue)
        default: break
        }
        switch params["sortorder"] {
        case .string(let s)?: sortOrders = [s]
        case .array(let items)?: sortOrders = items.compactMap(\.stringValue)
        default: break
        }
        if case .number(let n)? = params["limit"] { limit = Int(n) }
        filter = params["filter"]?.objectValue
        search = params["search"]?.objectValue
    }

    /// The columns to read: the requested output (or all), plus the primary key for `preservekeys`.
    func outputColumns(_ table: Table) -> [String] {
        switch output {
        case .extend: return table.columnNames
        case .fields(let fields): return table.columnNames.filter { fields.contains($0) }
        }
    }
}

/// Runs a `get` over one table: filter, search, sort, limit, count and output shaping, the same for
/// every entity. Permission conditions come from the caller in `conditions`.
enum GetQuery {
    static func run(_ db: any SQLDatabase, _ table: Table, _ options: GetOptions, _ conditions: Conditions) async throws -> JSON {
        switch try await rows(db, table, options, conditions) {
        case .count(let count): return .string(String(count))
        case .rows(let rows): return shape(rows, options)
        }
    }

    /// What a get query found: a count (`countOutput`) or the rows.
    enum Listed<Row: Sendable>: Sendable {
        case count(Int64)
        case rows([Row])
    }

    /// What a get query found, rows keyed by primary key as the API prints them.
    typealias Found = Listed<(key: String, object: JSONObject)>

    /// Runs the query without shaping the result, for services that add related objects to each row.
    static func rows(_ db: any SQLDatabase, _ table: Table, _ options: GetOptions, _ conditions: Conditions) async throws -> Found {
        let columns = options.outputColumns(table)
        return try await fetch(db, table, options, conditions, columns: columns) { row in
            (try table.key(of: row), try table.decode(row, columns: columns))
        }
    }

    /// Runs the query and reads each row found with `decode`, which may read `columns` and the primary key.
    static func fetch<Row: Sendable>(
        _ db: any SQLDatabase,
        _ table: Table,
        _ options: GetOptions,
        _ conditions: Conditions,
        columns: [String],
        decode: (any SQLRow) throws -> Row
    ) async throws -> Listed<Row> {
        var conditions = conditions
        if let filter = options.filter, let condition = filterCondition(table, filter, any: options.searchByAny) {
            conditions.add(condition)
        }
        if let search = options.search, let condition = searchCondition(table, search, options, sqlite: db.dialect.name == "sqlite") {
            conditions.add(condition)
        }
        if options.countOutput {
            let row = try await db.raw("SELECT COUNT(*) AS n FROM \(name: table.name)" + conditions.clause).first()
            return .count(try row?.decode(column: "n", as: Int64.self) ?? 0)
        }
        var selected = columns
        if !selected.contains(table.primaryKey) { selected.append(table.primaryKey) }
        var query: SQLQueryString = "SELECT \(names: selected) FROM \(name: table.name)" + conditions.clause
        query += orderClause(options, default: table.primaryKey)
        // Written out, not bound: a bound LIMIT makes SQLite re-plan its prepared statement on every run.
        if let limit = options.limit { query += " LIMIT \(unsafeRaw: String(limit))" }
        return .rows(try await db.raw(query).all().map(decode))
    }

    /// A list, or an object keyed by primary key with `preservekeys` (an empty result is `[]` either way).
    static func shape(_ rows: [(key: String, object: JSONObject)], _ options: GetOptions) -> JSON {
        if options.preserveKeys, !rows.isEmpty { return .object(JSONObject(rows.map { ($0.key, .object($0.object)) })) }
        return .array(rows.map { .object($0.object) })
    }

    static func orderClause(_ options: GetOptions, default primaryKey: String) -> SQLQueryString {
        guard !options.sortFields.isEmpty else { return " ORDER BY \(name: primaryKey)" }
        let parts: [SQLQueryString] = options.sortFields.enumerated().map { index, field in
            let order = options.sortOrders.count == 1 ? options.sortOrders[0] : (index < options.sortOrders.count ? options.sortOrders[index] : "ASC")
            return "\(name: field) \(unsafeRaw: order == "DESC" ? "DESC" : "ASC")"
        }
        return " ORDER BY " + parts.joined(separator: ", ")
    }

    /// Exact-match filter: values OR-ed within a key, keys AND-ed (OR-ed with `searchByAny`).
    /// Invalid numbers are dropped; a key left without values matches nothing; id 0 matches NULL.
    static func filterCondition(_ table: Table, _ filter: JSONObject, any: Bool) -> SQLQueryString? {
        var parts: [SQLQueryString] = []
        for (key, value) in filter.pairs {
            guard let kind = table.kind(of: key) else { continue }
            let items = value.listElements ?? [value]
            if value == .null || items.isEmpty { continue }
            switch kind {
            case .text:
                // Stored text never holds a NUL (the validator refuses it, and PostgreSQL could not take it).
                let texts = items.compactMap(\.scalarText).filter { !$0.containsNUL }
                parts.append(.among(key, texts))
            case .id, .int:
                let numbers = items.compactMap { item -> Int64? in
                    guard let text = item.scalarText, let n = Int64(text), !text.hasPrefix("+") else { return nil }
                    return kind == .id && n < 0 ? nil : n
                }
                var condition: SQLQueryString = .among(key, numbers)
                if kind == .id, numbers.contains(0) { condition = condition + " OR \(name: key) IS NULL" }
                parts.append(condition)
            }
        }
        return parts.isEmpty ? nil : .combine(parts, with: any ? "OR" : "AND")
    }

    /// SQLite refuses LIKE patterns longer than this ("LIKE or GLOB pattern too complex").
    static let sqliteLikeLimit = 50_000

    /// Case-insensitive LIKE search: `%v%`, `v%` with `startSearch`, `*` as wildcard with `searchWildcardsEnabled`.
    /// On SQLite, a pattern over `sqliteLikeLimit` bytes is looked for with `instr` (the same match
    /// without wildcards); with wildcards it matches nothing.
    static func searchCondition(_ table: Table, _ search: JSONObject, _ options: GetOptions, sqlite: Bool) -> SQLQueryString? {
        var fieldParts: [SQLQueryString] = []
        for (key, value) in search.pairs where table.kind(of: key) == .text {
            let patterns = (value.listElements ?? []).compactMap(\.scalarText)
            guard !patterns.isEmpty else { continue }
            let likes: [SQLQueryString] = patterns.map { raw in
                // Stored text never holds a NUL: such a pattern finds nothing (and PostgreSQL could not take it).
                if raw.containsNUL { return Conditions.never }
                var pattern = raw.replacingOccurrences(of: "!", with: "!!")
                    .replacingOccurrences(of: "%", with: "!%")
                    .replacingOccurrences(of: "_", with: "!_")
                if options.searchWildcards {
                    pattern = pattern.replacingOccurrences(of: "*", with: "%")
                } else {
                    pattern = (options.startSearch ? "" : "%") + pattern + "%"
                }
                if sqlite, pattern.utf8.count > sqliteLikeLimit {
                    if options.searchWildcards { return Conditions.never }
                    return "instr(UPPER(\(name: key)), UPPER(\(bind: raw))) \(unsafeRaw: options.startSearch ? "= 1" : "> 0")"
                }
                return "UPPER(\(name: key)) LIKE UPPER(\(bind: pattern)) ESCAPE '!'"
            }
            fieldParts.append(.combine(likes, with: "OR"))
        }
        return fieldParts.isEmpty ? nil : .combine(fieldParts, with: options.searchByAny ? "OR" : "AND")
    }
}

extension Optional where Wrapped == JSON {
    /// True for JSON `true` (flags and booleans after validation).
    var isTrue: Bool { self == .bool(true) }
}

extension GetOptions {
    /// Options of the legacy `get` methods (`user.get`, `usergroup.get`; users spec §0.2): unknown keys
    /// and output names are ignored, the primary key is always returned, only sorting is checked.
    static func legacy(_ params: JSON, table: Table, sortable: [String], aliases: [String: String] = [:]) throws(APIError) -> (GetOptions, JSONObject)
    {
        let object = (try? Validator.plainObject(params, path: "/")) ?? JSONObject()
        var options = GetOptions(JSONObject())
        func truthy(_ key: String) -> Bool {
            guard let value = object[key] else { return false }
            return value != .null && value != .bool(false)
        }
        switch object["output"] {
        case nil, .string("extend")?: options.output = .extend
        case .array(let items)?: options.output = .fields(Self.legacyFields(items, table, aliases))
        case .object(let items)?: options.output = .fields(Self.legacyFields(items.values, table, aliases))
        default: options.output = .fields([table.primaryKey])
        }
        options.countOutput = truthy("countOutput")
        options.preserveKeys = truthy("preservekeys")
        options.searchByAny = truthy("searchByAny")
        options.startSearch = truthy("startSearch")
        options.searchWildcards = truthy("searchWildcardsEnabled")
        let fields: [JSON]
        switch object["sortfield"] {
        case .string(let s)?: fields = [.string(s)]
        case .array(let items)?: fields = items
        default: fields = []
        }
        for field in fields {
            let name = field.scalarText ?? ""
            guard sortable.contains(name) else { throw APIError.application("Sorting by field \"\(name)\" not allowed.") }
            options.sortFields.append(aliases[name] ?? name)
        }
        switch object["sortorder"] {
        case .string(let s)?: options.sortOrders = [s == "DESC" ? "DESC" : "ASC"]
        case .array(let items)?: options.sortOrders = items.map { $0.stringValue == "DESC" ? "DESC" : "ASC" }
        default: break
        }
        if let text = object["limit"]?.scalarText, let limit = Int(text), limit > 0 { options.limit = limit }
        if case .object(let filter)? = object["filter"] { options.filter = filter }
        if case .object(let search)? = object["search"] {
            options.search = JSONObject(search.pairs.map { ($0.0, .array($0.1.listElements ?? [$0.1])) })
        }
        return (options, object)
    }

    /// Known names of an output list, in table order, primary key first.
    private static func legacyFields(_ items: [JSON], _ table: Table, _ aliases: [String: String]) -> [String] {
        let names = Set(items.compactMap { $0.stringValue.map { aliases[$0] ?? $0 } })
        return [table.primaryKey] + table.columnNames.filter { names.contains($0) && $0 != table.primaryKey }
    }
}
