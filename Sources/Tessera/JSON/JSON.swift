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
            for (index, key) in object.keys.enumerated() where key != String(index) { return nil }
            return object.values
        default: return nil
        }
    }
}

/// An ordered JSON object. Duplicate keys keep the first position and the last value, as PHP does.
public struct JSONObject: Sendable, Equatable {
    public private(set) var keys: [String] = []
    private var storage: [String: JSON] = [:]

    public init() {}

    public init(_ pairs: [(String, JSON)]) {
        for (key, value) in pairs { self[key] = value }
    }

    public var isEmpty: Bool { keys.isEmpty }
    public var count: Int { keys.count }
    public var values: [JSON] { keys.map { storage[$0]! } }
    public var pairs: [(String, JSON)] { keys.map { ($0, storage[$0]!) } }

    public subscript(key: String) -> JSON? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    public func has(_ key: String) -> Bool { storage[key] != nil }

    /// Calls `body` with each member in order, without building an array of pairs.
    func forEachPair(_ body: (String, JSON) throws -> Void) rethrows {
        for key in keys { try body(key, storage[key]!) }
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
