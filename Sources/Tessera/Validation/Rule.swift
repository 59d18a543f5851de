/// Declarative parameter rules, evaluated by `Validator`. They mirror the Zabbix API input validator:
/// each rule knows its messages, objects report unexpected keys before missing ones, and paths are
/// JSON pointers whose array items count from 1.
public indirect enum Rule: Sendable {
    /// A UTF-8 string; `maxLength` counts characters; `oneOf` limits the accepted values.
    case string(maxLength: Int? = nil, notEmpty: Bool = false, oneOf: [String]? = nil, nullable: Bool = false)
    /// A database id: a non-negative integer or a string of digits, normalised to its decimal string.
    case id(nullable: Bool = false)
    /// A 32-bit integer (or a string holding one), optionally limited to `allowed`.
    case int32(allowed: IntSet? = nil, nullable: Bool = false)
    /// `true` or `false`.
    case boolean
    /// `true`/`false`, where `null` counts as not set.
    case flag
    /// An object with the given fields.
    case object(ObjectRule, nullable: Bool = false)
    /// A list of values of one rule; a scalar is wrapped when `normalize` is set.
    case list(Rule, notEmpty: Bool = false, unique: Bool = false, normalize: Bool = false, nullable: Bool = false)
    /// `"extend"` or a list of the given field names.
    case output([String])
    /// `"ASC"`/`"DESC"` or a list of them.
    case sortOrder
    /// An object of filter values: keys from the list, each value a scalar or a list of scalars.
    case filter([String])
    /// An object of search strings: keys from the list, each value a string or a list of strings.
    case search([String])
    /// Anything is accepted unchanged.
    case any
}

/// The fields of an object rule in validation order.
public struct ObjectRule: Sendable {
    public struct Field: Sendable {
        public let name: String
        public let rule: Rule
        public let required: Bool
    }

    public var fields: [Field]
    /// Legacy `get` methods ignore keys they do not know instead of rejecting them.
    public var ignoresUnknown: Bool

    public init(ignoresUnknown: Bool = false, _ fields: [Field]) {
        self.fields = fields
        self.ignoresUnknown = ignoresUnknown
    }
}

extension ObjectRule.Field {
    public static func required(_ name: String, _ rule: Rule) -> Self { .init(name: name, rule: rule, required: true) }
    public static func optional(_ name: String, _ rule: Rule) -> Self { .init(name: name, rule: rule, required: false) }
}

/// A set of integers written as values and ranges, printed the Zabbix way ("0, 90-86400").
public struct IntSet: Sendable {
    public let ranges: [ClosedRange<Int64>]

    public init(_ ranges: [ClosedRange<Int64>]) { self.ranges = ranges }
    public static func values(_ values: Int64...) -> IntSet { IntSet(values.map { $0...$0 }) }
    public static func range(_ range: ClosedRange<Int64>) -> IntSet { IntSet([range]) }

    public func contains(_ value: Int64) -> Bool { ranges.contains { $0.contains(value) } }

    public var description: String {
        ranges.map { $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
            .joined(separator: ", ")
    }

    public static let status = IntSet.values(0, 1)
}
