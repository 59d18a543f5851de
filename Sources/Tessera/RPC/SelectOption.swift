/// The `select…` options of the `get` methods that return related objects (`selectUsers`).
enum SelectOption {
    /// The columns a `select…` option asks for: `"extend"` → all, a list → those the table has (plus the
    /// primary key when `alwaysKey`), anything else → none (or only the key).
    static func fields(_ select: JSON, _ table: Table, alwaysKey: Bool) -> [String] {
        guard let items = select.listElements ?? select.objectValue?.values else {
            return select == "extend" ? table.columnNames : (alwaysKey ? [table.primaryKey] : [])
        }
        let names = Set(items.compactMap(\.stringValue))
        return table.columnNames.filter { names.contains($0) || (alwaysKey && $0 == table.primaryKey) }
    }
}
