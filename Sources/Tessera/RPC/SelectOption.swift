/// Options of the legacy `get` methods that name ids or related objects' fields.
enum SelectOption {
    /// The ids of an option such as `userids`: a list, an object's values, or one value; what is no id is dropped.
    static func ids(_ value: JSON) -> [Int64] {
        (value.listElements ?? (value.objectValue?.values ?? [value])).compactMap { $0.scalarText.flatMap { Int64($0) } }
    }

    /// The fields of a `select*` option: `"extend"` all, a list those known (plus the key when `alwaysKey`).
    static func fields(_ select: JSON, _ table: Table, alwaysKey: Bool) -> [String] {
        guard let items = select.listElements ?? select.objectValue?.values else {
            return select == "extend" ? table.columnNames : (alwaysKey ? [table.primaryKey] : [])
        }
        let names = Set(items.compactMap(\.stringValue))
        return table.columnNames.filter { names.contains($0) || (alwaysKey && $0 == table.primaryKey) }
    }
}

extension Optional where Wrapped == JSON {
    /// PHP truthiness of an optional parameter: present and not null, false, 0, "0" or "".
    var isTruthy: Bool {
        switch self {
        case nil, .null?, .bool(false)?, .string("")?, .string("0")?, .number("0")?: return false
        default: return true
        }
    }
}
