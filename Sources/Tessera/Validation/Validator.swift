import Foundation

/// Applies a `Rule` to a JSON value and returns the value normalised (ids as decimal strings,
/// integers as numbers, scalars wrapped into lists where the rule says so).
public enum Validator {
    static let maxID = "9223372036854775807"

    /// The path of a member below `path` (`/` + `name` → `/name`, `/1` + `name` → `/1/name`).
    static func path(_ path: String, _ member: String) -> String {
        path == "/" ? "/" + member : path + "/" + member
    }

    static func validate(_ value: JSON, _ rule: Rule, path: String) throws(APIError) -> JSON {
        // PostgreSQL cannot take a NUL in text: refused in every string a rule checks, so that both
        // engines answer alike (free-form values, `.any`, are matched as finding nothing instead).
        if case .string(let s) = value, s.containsNUL, !rule.isAny { throw .invalid(path, "the NUL character is not allowed") }
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
        case .fixedLengthString(let exactLength):
            guard case .string(let s) = value else { throw .invalid(path, "a character string is expected") }
            guard s.unicodeScalars.count == exactLength else { throw .invalid(path, "must be \(exactLength) characters long") }
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
            // Any value sets a flag except null and false.
            return .bool(value != .null && value != .bool(false))
        case .object(let objectRule, let nullable):
            if value == .null, nullable { return value }
            return .object(try object(value, objectRule, path: path))
        case .list(let itemRule, let notEmpty, let unique, let normalize, let nullable):
            if value == .null, nullable { return value }
            var items: [JSON]
            if let list = value.listElements {
                items = list
            } else if case .object(let object) = value {
                items = object.values
            } else if normalize, itemRule.acceptsType(of: value) {
                // A lone value of the item's type is read as a one-item list.
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
        case .objects(let objectRule, let notEmpty, let uniqueBy):
            guard value.listElements != nil || value.objectValue != nil else { throw .invalid(path, "an array is expected") }
            let items = try plainObject(value, path: path).values
            if notEmpty, items.isEmpty { throw .invalid(path, "cannot be empty") }
            var objects: [JSONObject] = []
            for (index, item) in items.enumerated() {
                objects.append(try object(item, objectRule, path: Self.path(path, String(index + 1))))
            }
            if !uniqueBy.isEmpty { try ParamShape.checkUnique(objects, fields: uniqueBy, path: path) }
            return .array(objects.map { .object($0) })
        case .timeUnit(let allowed):
            guard case .string(let text) = value else { throw .invalid(path, "a character string is expected") }
            guard let seconds = TimeUnit.seconds(text) else { throw .invalid(path, "a time unit is expected") }
            guard allowed.contains(Int64(seconds)) else { throw .invalid(path, "value must be one of \(allowed.description)") }
            return value
        case .url(let maxLength):
            guard case .string(let text) = value else { throw .invalid(path, "a character string is expected") }
            if text.unicodeScalars.count > maxLength { throw .invalid(path, "value is too long") }
            guard URLCheck.isAcceptable(text) else { throw .invalid(path, "unacceptable URL") }
            return value
        case .timezone(let special):
            guard case .string(let text) = value else { throw .invalid(path, "a character string is expected") }
            guard text == special || TimeZone(identifier: text) != nil, !text.isEmpty else {
                throw .invalid(
                    path,
                    "value must be one of \"\(special)\", " + TimeZone.knownTimeZoneIdentifiers.map { "\"\($0)\"" }.joined(separator: ", ")
                )
            }
            return value
        case .output(let fields):
            if case .string(let s) = value {
                guard s == "extend" else { throw .invalid(path, "value must be \"extend\"") }
                return value
            }
            guard value.listElements != nil || value.objectValue != nil else {
                throw .invalid(path, "an array or a character string is expected")
            }
            return try validate(.array(try plainObject(value, path: path).values), .list(.string(oneOf: fields), unique: true), path: path)
        case .sortOrder:
            let order = Rule.string(oneOf: ["ASC", "DESC"])
            if case .string = value { return try validate(value, order, path: path) }
            guard value.listElements != nil || value.objectValue != nil else {
                throw .invalid(path, "an array or a character string is expected")
            }
            return try validate(.array(try plainObject(value, path: path).values), .list(order), path: path)
        case .filter(let keys), .search(let keys):
            if value == .null { return value }
            let object = try plainObject(value, path: path)
            var result = JSONObject()
            for (key, member) in object.pairs {
                guard keys.contains(key) else { throw .invalid(path, "unexpected parameter \"\(key)\"") }
                result[key] = try matchValues(member, path: Self.path(path, key))
            }
            return .object(result)
        }
    }

    /// A filter or search value: null (ignored), a string or number, or a list of strings and numbers.
    static func matchValues(_ value: JSON, path: String) throws(APIError) -> JSON {
        switch value {
        case .null: return value
        case .string, .number: return .array([value])
        case .bool: throw .invalid(path, "an array is expected")
        default:
            let items = try plainObject(value, path: path).values
            for (index, item) in items.enumerated() {
                switch item {
                case .string, .number: continue
                default: throw .invalid(Self.path(path, String(index + 1)), "a character string, integer or floating point value is expected")
                }
            }
            return .array(items)
        }
    }

    // MARK: - Pieces

    static func object(_ value: JSON, _ rule: ObjectRule, path: String) throws(APIError) -> JSONObject {
        let input = try plainObject(value, path: path)
        if let key = input.firstKey(where: { key in !rule.fields.contains { $0.name == key } }) {
            throw .invalid(path, "unexpected parameter \"\(key)\"")
        }
        // Validation follows the rule's field order; the result keeps the caller's key order (audit
        // details use it): every member is a field of the rule, so each is replaced in place.
        var validated = input
        for field in rule.fields {
            guard let member = input[field.name] else {
                if field.required { throw .invalid(path, "the parameter \"\(field.name)\" is missing") }
                continue
            }
            validated[field.name] = try validate(member, field.rule, path: Self.path(path, field.name))
        }
        return validated
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
    static func int32(_ value: JSON, path: String) throws(APIError) -> Int64 {
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

extension Rule {
    /// Whether `value` has the JSON type this rule reads (before range or format checks): a string for
    /// string rules, an integer or a digit string for id and integer rules.
    func acceptsType(of value: JSON) -> Bool {
        switch (self, value) {
        case (.string, .string): return true
        case (.fixedLengthString(let length), .string(let s)): return s.unicodeScalars.count == length
        case (.id, .string(let s)), (.int32, .string(let s)):
            let body = s.hasPrefix("-") ? s.dropFirst() : Substring(s)
            return !body.isEmpty && body.allSatisfy(\.isASCII) && body.allSatisfy(\.isNumber)
        case (.id, .number), (.int32, .number): return value.isIntegerLiteral
        default: return false
        }
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

extension StringProtocol {
    /// True when the text holds U+0000 (checked on the UTF-8 bytes: Foundation's `contains` is far slower).
    var containsNUL: Bool { utf8.contains(0) }
}
