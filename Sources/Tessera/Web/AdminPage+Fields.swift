extension AdminPage {
    /// A posted number (a select's or a radio button's value) checked as the API checks it, with the
    /// API's message when it is refused; the choice it names. `rule` admits only raw values of `Choice`.
    static func choice<Choice: RawRepresentable>(_ text: String, _ rule: Rule, path: String) throws(APIError) -> Choice?
    where Choice.RawValue == Int {
        try Validator.validate(number(text), rule, path: path).integer.flatMap { Choice(rawValue: Int($0)) }
    }

    /// A posted id (digits) checked as the API checks one: `a number is too large` past 2^63-1.
    static func checkedID<Kind>(_ text: String, path: String) throws(APIError) -> EntityID<Kind> {
        let digits = try Validator.id(.string(text), path: path)
        guard let id = EntityID<Kind>(digits) else { throw .invalid(path, "a number is too large") }
        return id
    }
}
