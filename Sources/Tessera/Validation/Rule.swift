/// Declarative parameter rules, evaluated by `Validator`. They mirror the Zabbix API input validator:
/// each rule knows its messages, objects report unexpected keys before missing ones, and paths are
/// JSON pointers whose array items count from 1.
indirect enum Rule: Sendable {
    /// A UTF-8 string; `maxLength` counts characters; `oneOf` limits the accepted values.
    case string(maxLength: Int? = nil, notEmpty: Bool = false, oneOf: [String]? = nil, nullable: Bool = false)
    /// A string of exactly this many characters (`must be 25 characters long`).
    case fixedLengthString(Int)
    /// A database id: a non-negative integer or a string of digits, normalised to its decimal string.
    case id(nullable: Bool = false)
    /// A 32-bit integer (or a string holding one), optionally limited to `allowed`.
    case int32(allowed: IntSet? = nil, nullable: Bool = false)
    /// `true` or `false`.
    case boolean
    /// A switch: set by any value except `null` and `false`.
    case flag
    /// An object with the given fields.
    case object(ObjectRule, nullable: Bool = false)
    /// A list of values of one rule; a scalar is wrapped when `normalize` is set.
    case list(Rule, notEmpty: Bool = false, unique: Bool = false, normalize: Bool = false, nullable: Bool = false)
    /// A list of objects, unique by the given fields (`value (usrgrpid)=(7) already exists`).
    case objects(ObjectRule, notEmpty: Bool = false, uniqueBy: [String] = [])
    /// A Zabbix time unit ("30s", "15m", "0") whose seconds lie in `allowed`.
    case timeUnit(allowed: IntSet)
    /// A URL whose scheme, if any, is an accepted one.
    case url(maxLength: Int)
    /// `special` ("default" for a user, "system" for the settings) or an IANA time zone name.
    case timezone(special: String)
    /// `"extend"` or a list of the given field names.
    case output([String])
    /// `"ASC"`/`"DESC"` or a list of them.
    case sortOrder
    /// An object of exact-match values: keys from the list, each value a string, a number or a list of them.
    case filter([String])
    /// An object of search patterns, shaped like `filter`.
    case search([String])
    /// Anything is accepted unchanged.
    case any

    /// Whether the rule takes any value unchecked.
    var isAny: Bool {
        if case .any = self { return true }
        return false
    }
}

/// The fields of an object rule in validation order.
struct ObjectRule: Sendable {
    struct Field: Sendable {
        let name: String
        let rule: Rule
        let required: Bool
    }

    var fields: [Field]

    init(_ fields: [Field]) {
        self.fields = fields
    }
}

extension ObjectRule.Field {
    static func required(_ name: String, _ rule: Rule) -> Self { .init(name: name, rule: rule, required: true) }
    static func optional(_ name: String, _ rule: Rule) -> Self { .init(name: name, rule: rule, required: false) }
}

/// A set of integers written as values and ranges, printed the Zabbix way ("0, 90-86400").
struct IntSet: Sendable {
    let ranges: [ClosedRange<Int64>]

    init(_ ranges: [ClosedRange<Int64>]) { self.ranges = ranges }
    static func values(_ values: Int64...) -> IntSet { IntSet(values.map { $0...$0 }) }
    static func range(_ range: ClosedRange<Int64>) -> IntSet { IntSet([range]) }

    func contains(_ value: Int64) -> Bool { ranges.contains { $0.contains(value) } }

    var description: String {
        ranges.map { $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
            .joined(separator: ", ")
    }

    static let status = IntSet.values(0, 1)
}

extension ObjectRule {
    /// The parameters of a strict `get` (users spec §0.2) in Zabbix's validation order: the method's
    /// own leading ones, `filter` and `search`, the search switches, `output`, `countOutput`, the
    /// method's `select…` options, sorting, `limit`, and `preservekeys`.
    static func strictGet(
        _ leading: [Field],
        filter: [String],
        search: [String],
        afterSearch: [Field] = [],
        output: [String],
        afterCount: [Field] = [],
        sortable: [String],
        beforePreserveKeys: [Field] = []
    ) -> ObjectRule {
        ObjectRule(
            leading + [.optional("filter", .filter(filter)), .optional("search", .search(search))] + afterSearch
                + [
                    .optional("searchByAny", .boolean), .optional("startSearch", .flag), .optional("excludeSearch", .flag),
                    .optional("searchWildcardsEnabled", .boolean), .optional("output", .output(output)), .optional("countOutput", .flag),
                ]
                + afterCount
                + [
                    .optional("sortfield", .list(.string(oneOf: sortable), unique: true, normalize: true)),
                    .optional("sortorder", .sortOrder),
                    .optional("limit", .int32(allowed: .range(1...Int64(Int32.max)), nullable: true)),
                ]
                + beforePreserveKeys + [.optional("preservekeys", .boolean)]
        )
    }
}
