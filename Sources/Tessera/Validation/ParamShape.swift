/// How methods read the `params` member (token spec §4.3).
enum ParamShape {
    /// create/update: a list of objects, or one object (wrapped) unless its first key is an integer,
    /// in which case PHP already sees a list.
    static func items(_ params: JSON) -> [JSON] {
        switch params {
        case .array(let items): return items
        case .object(let object):
            if let first = object.keys.first, Int(first) != nil { return object.values }
            return object.isEmpty ? [] : [params]
        default: return [params]
        }
    }

    /// delete/generate: a list of ids; an object is read as the list of its values.
    static func ids(_ params: JSON) -> [JSON] {
        switch params {
        case .array(let items): return items
        case .object(let object): return object.values
        default: return [params]
        }
    }

    /// Validates a delete/generate id list: not empty, ids, unique.
    static func idList(_ params: JSON) throws(APIError) -> [String] {
        let validated = try Validator.validate(.array(ids(params)), .list(.id(), notEmpty: true, unique: true), path: "/")
        return validated.arrayValue?.compactMap(\.stringValue) ?? []
    }

    /// Validates create/update items against an object rule (paths `/1`, `/2`, …).
    static func objects(_ params: JSON, _ rule: ObjectRule, wrapEmpty: Bool = false) throws(APIError) -> [JSONObject] {
        var list = items(params)
        if wrapEmpty, params == .object(JSONObject()) { list = [params] }
        if list.isEmpty { throw .invalid("/", "cannot be empty") }
        var result: [JSONObject] = []
        for (index, item) in list.enumerated() {
            result.append(try Validator.object(item, rule, path: "/\(index + 1)"))
        }
        return result
    }

    /// In-request uniqueness of a tuple of fields: `Invalid parameter "/2": value (a, b)=(x, y) already exists.`
    static func checkUnique(_ objects: [JSONObject], fields: [String], path: String = "/") throws(APIError) {
        var seen = Set<[String]>()
        for (index, object) in objects.enumerated() {
            let values = fields.map { object[$0]?.scalarText }
            guard values.allSatisfy({ $0 != nil }) else { continue }
            let key = values.map { $0! }
            if !seen.insert(key).inserted {
                throw .invalid(
                    Validator.path(path, String(index + 1)),
                    "value (\(fields.joined(separator: ", ")))=(\(key.joined(separator: ", "))) already exists"
                )
            }
        }
    }
}
