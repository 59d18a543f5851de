/// Applies a `Rule` to a JSON value and returns the value normalised (ids as decimal strings,
/// integers as numbers, scalars wrapped into lists where the rule says so).
public enum Validator {
    public static let maxID = "9223372036854775807"

    /// The path of a member below `path` (`/` + `name` → `/name`, `/1` + `name` → `/1/name`).
    public static func path(_ path: String, _ member: String) -> String {
        path == "/" ? "/" + member : path + "/" + member
    }

    public static func validate(_ value: JSON, _ rule: Rule, path: String) throws(APIError) -> JSON {
        switch rule {
        case .any:
            return value
        case .string(let maxLength, let notEmpty, let oneOf, let nullable):
            if value == .null, nullable { return value }
            guard case .string(let s) = value else { throw .invalid(path, "a character string is expected") }
            if let oneOf {
                guard oneOf.contains(s) else {
                    throw .invalid(path, "value must be one of " + oneOf.map { "\"\($0)\"" }.joined(separator: ", "))
                }
                return value
            }
            if notEmpty, s.isEmpty { throw .invalid(path, "cannot be empty") }
            if let maxLength, s.unicodeScalars.count > maxLength { throw .invalid(path, "value is too long") }
            return value
        case .id(let nullable):
            if value == .null, nullable { return value }
            return .string(try id(value, path: path))
        case .int32(let allowed, let nullable):
            if value == .null, nullable { return value }
            let number = try int32(value, path: path)
            if let allowed, !allowed.contains(number) {
                throw .invalid(path, "value must be one of \(allowed.description)")
            }
            return .int(number)
        case .boolean:
            guard case .bool = value else { throw .invalid(path, "a boolean is expected") }
            return value
        case .flag:
            if value == .null { return .bool(false) }
            guard case .bool = value else { throw .invalid(path, "a boolean is expected") }
            return value
        case .object(let objectRule, let nullable):
            if value == .null, nullable { return value }
            return .object(try object(value, objectRule, path: path))
        case .list(let itemRule, let notEmpty, let unique, let normalize, let nullable):
            if value == .null, nullable { return value }
            var items: [JSON]
            if let list = value.listElements {
                items = list
            } else if normalize, value.isScalar {
                items = [value]
            } else {
                throw .invalid(path, "an array is expected")
            }
            if notEmpty, items.isEmpty { throw .invalid(path, "cannot be empty") }
            for i in items.indices {
                items[i] = try validate(items[i], itemRule, path: Self.path(path, String(i + 1)))
            }
            if unique { try checkUnique(items, path: path) }
            return .array(items)
        case .output(let fields):
            if case .string(let s) = value {
                guard s == "extend" else { throw .invalid(path, "value must be \"extend\"") }
                return value
            }
            return try validate(value, .list(.string(oneOf: fields)), path: path)
        case .sortOrder:
            let order = Rule.string(oneOf: ["ASC", "DESC"])
            if case .string = value { return try validate(value, order, path: path) }
            if value == .null { return value }
            guard value.listElements != nil else {
                throw .invalid(path, "value must be one of \"ASC\", \"DESC\"")
            }
            return try validate(value, .list(order), path: path)
        case .filter(let keys):
            if value == .null { return value }
            let object = try plainObject(value, path: path)
            for key in object.keys where !keys.contains(key) { throw .invalid(path, "unexpected parameter \"\(key)\"") }
            return .object(object)
        case .search(let keys):
            if value == .null { return value }
            let object = try plainObject(value, path: path)
            var result = JSONObject()
            for (key, member) in object.pairs {
                guard keys.contains(key) else { throw .invalid(path, "unexpected parameter \"\(key)\"") }
                result[key] = try validate(
                    member, .list(.string(), normalize: true, nullable: true), path: Self.path(path, key))
            }
            return .object(result)
        }
    }

    // MARK: - Pieces

    static func object(_ value: JSON, _ rule: ObjectRule, path: String) throws(APIError) -> JSONObject {
        let input = try plainObject(value, path: path)
        if !rule.ignoresUnknown {
            for key in input.keys where !rule.fields.contains(where: { $0.name == key }) {
                throw .invalid(path, "unexpected parameter \"\(key)\"")
            }
        }
        var validated = JSONObject()
        for field in rule.fields {
            guard let member = input[field.name] else {
                if field.required { throw .invalid(path, "the parameter \"\(field.name)\" is missing") }
                continue
            }
            validated[field.name] = try validate(member, field.rule, path: Self.path(path, field.name))
        }
        // Validation follows the rule's field order; the result keeps the caller's key order (audit details use it).
        return JSONObject(input.keys.compactMap { key in validated[key].map { (key, $0) } })
    }

    /// PHP sees JSON objects and arrays alike as arrays; an array here is an object keyed 0…n-1.
    static func plainObject(_ value: JSON, path: String) throws(APIError) -> JSONObject {
        switch value {
        case .object(let object): return object
        case .array(let items):
            return JSONObject(items.enumerated().map { (String($0.offset), $0.element) })
        default: throw .invalid(path, "an array is expected")
        }
    }

    static func checkUnique(_ items: [JSON], path: String) throws(APIError) {
        var seen = Set<String>()
        for (i, item) in items.enumerated() {
            let key = item.scalarText ?? item.encoded()
            if !seen.insert(key).inserted {
                throw .invalid(Self.path(path, String(i + 1)), "value (\(key)) already exists")
            }
        }
    }

    /// Parses an id: a non-negative JSON integer or a digit string, up to 2^63-1, without leading zeros.
    public static func id(_ value: JSON, path: String) throws(APIError) -> String {
        let digits: String
        switch value {
        case .string(let s): digits = s
        case .number(let n) where value.isIntegerLiteral: digits = n
        default: throw .invalid(path, "a number is expected")
        }
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw .invalid(path, "a number is expected")
        }
        if case .number = value, digits.count > 19 || (digits.count == 19 && digits > maxID) {
            // PHP decodes such literals as floats.
            throw .invalid(path, "a number is expected")
        }
        var trimmed = Substring(digits)
        while trimmed.count > 1, trimmed.first == "0" { trimmed = trimmed.dropFirst() }
        if trimmed.count > 19 || (trimmed.count == 19 && trimmed > maxID) {
            throw .invalid(path, "a number is too large")
        }
        return String(trimmed)
    }

    /// Parses a 32-bit integer from a JSON integer or a string matching `-?[0-9]+`.
    public static func int32(_ value: JSON, path: String) throws(APIError) -> Int64 {
        let text: String
        switch value {
        case .string(let s): text = s
        case .number(let n) where value.isIntegerLiteral: text = n
        default: throw .invalid(path, "an integer is expected")
        }
        let body = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
        guard !body.isEmpty, body.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw .invalid(path, "an integer is expected")
        }
        guard let number = Int64(text), number >= Int64(Int32.min), number <= Int64(Int32.max) else {
            throw .invalid(path, "a number is too large")
        }
        return number
    }
}

extension JSON {
    /// Strings, numbers and booleans.
    var isScalar: Bool {
        switch self {
        case .string, .number, .bool: return true
        default: return false
        }
    }

    /// The text PHP would print for a scalar in messages (`true` → "1", `false` → "").
    var scalarText: String? {
        switch self {
        case .string(let s): return s
        case .number(let n): return n
        case .bool(let b): return b ? "1" : ""
        default: return nil
        }
    }
}
