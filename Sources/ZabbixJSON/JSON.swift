/// A JSON value as the Zabbix API sees it after PHP's `json_decode(…, true)`.
///
/// Objects keep their key order (validation reports keys in input order, audit details follow it)
/// and numbers keep their source text so that range checks ("a number is too large") can be exact.
public enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    /// A number exactly as written in the source (or as produced by the encoder's caller).
    case number(String)
    case string(String)
    case array([JSON])
    case object(JSONObject)

    /// Convenience for integer results and literals.
    public static func int<I: BinaryInteger>(_ value: I) -> JSON { .number(String(value)) }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    public var arrayValue: [JSON]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var isNull: Bool { self == .null }

    /// Member lookup on objects; nil for other values and missing keys.
    public subscript(key: String) -> JSON? {
        objectValue?[key]
    }

    /// True when the value is a number written without fraction or exponent.
    public var isIntegerLiteral: Bool {
        guard case .number(let text) = self else { return false }
        return !text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" })
    }

    /// PHP's notion of a "list": an array, or an object whose keys are exactly "0", "1", …
    /// (json_decode turns both into the same PHP array).
    public var listElements: [JSON]? {
        switch self {
        case .array(let items): return items
        case .object(let object):
            return object.hasIndexKeys ? object.values : nil
        default: return nil
        }
    }
}

/// An ordered JSON object. Duplicate keys keep the first position and the last value, as PHP does.
///
/// Members are kept in order in an array and looked for in order: API objects have a few dozen
/// members at most, and comparing a few short keys costs less than hashing one. Past
/// `indexedFrom` members (a caller's large batch or filter) their positions are kept by key too.
public struct JSONObject: Sendable, Equatable {
    private struct Member: Sendable, Equatable {
        let key: String
        var value: JSON
    }

    private var members: [Member] = []
    private var positions: [String: Int]?
    private static let indexedFrom = 32

    public init() {}

    public init(_ pairs: [(String, JSON)]) {
        members.reserveCapacity(pairs.count)
        for (key, value) in pairs { self[key] = value }
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool { lhs.members == rhs.members }

    public var isEmpty: Bool { members.isEmpty }
    public var count: Int { members.count }
    public var keys: [String] { members.map(\.key) }
    public var values: [JSON] { members.map(\.value) }
    public var pairs: [(String, JSON)] { members.map { ($0.key, $0.value) } }

    public subscript(key: String) -> JSON? {
        get { position(of: key).map { members[$0].value } }
        set {
            if let newValue {
                if let index = position(of: key) {
                    members[index].value = newValue
                } else {
                    append(key, newValue)
                }
            } else if let index = position(of: key) {
                members.remove(at: index)
                reindex()
            }
        }
    }

    public func has(_ key: String) -> Bool { position(of: key) != nil }

    /// An empty object with room for `capacity` members.
    public init(minimumCapacity capacity: Int) { members.reserveCapacity(capacity) }

    /// Adds a member that is known not to be there yet, without looking for it.
    public mutating func append(_ key: String, _ value: JSON) {
        assert(!has(key), "\(key) is already a member")
        members.append(Member(key: key, value: value))
        if positions != nil {
            positions?[key] = members.count - 1
        } else if members.count > Self.indexedFrom {
            reindex()
        }
    }

    /// The first key, in order, that satisfies `predicate`.
    public func firstKey(where predicate: (String) -> Bool) -> String? { members.first { predicate($0.key) }?.key }

    /// True when the keys are exactly "0", "1", … in order (PHP's notion of a list).
    public var hasIndexKeys: Bool {
        for (index, member) in members.enumerated() where member.key != String(index) { return false }
        return true
    }

    /// Calls `body` with each member in order, without building an array of pairs.
    public func forEachPair(_ body: (String, JSON) throws -> Void) rethrows {
        for member in members { try body(member.key, member.value) }
    }

    private func position(of key: String) -> Int? {
        if let positions { return positions[key] }
        return members.firstIndex { $0.key == key }
    }

    private mutating func reindex() {
        positions =
            members.count > Self.indexedFrom
            ? Dictionary(uniqueKeysWithValues: members.enumerated().map { ($0.element.key, $0.offset) }) : nil
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSON)...) { self.init(elements) }
}

extension JSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral, ExpressibleByFloatLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(String(value)) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .number(String(value)) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSON)...) { self = .object(JSONObject(elements)) }
    public init(nilLiteral: ()) { self = .null }
}
