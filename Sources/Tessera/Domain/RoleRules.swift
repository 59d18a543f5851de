/// The rules of one role as stored in `role_rule`, with the defaults Zabbix applies to absent rows.
struct RoleRules: Sendable {
    /// Integer rules by name (`api.access`, `actions.manage_api_tokens`, …).
    var ints: [String: Int] = [:]
    /// `api.method.N` patterns in N order.
    var apiMethods: [String] = []

    init(ints: [String: Int] = [:], apiMethods: [String] = []) {
        self.ints = ints
        self.apiMethods = apiMethods
    }

    var apiAccess: Bool { (ints["api.access"] ?? 1) != 0 }
    /// 0 = the method list denies, 1 = the method list allows.
    var apiMode: Int { ints["api.mode"] ?? 0 }

    /// An action rule, falling back to `actions.default_access` (itself on by default).
    func allows(action: String) -> Bool {
        (ints["actions." + action] ?? ints["actions.default_access"] ?? 1) != 0
    }

    /// A UI rule, falling back to `ui.default_access`.
    func allows(ui element: String) -> Bool {
        (ints["ui." + element] ?? ints["ui.default_access"] ?? 1) != 0
    }

    /// The api allow/deny list check of token spec §3.4.
    func allows(api: String, method: String) -> Bool {
        guard !apiMethods.isEmpty else { return true }
        let full = "\(api).\(method)".lowercased()
        let patterns: Set<String> = [full, "*", "*.*", "*.\(method.lowercased())", "\(api.lowercased()).*"]
        let listed = apiMethods.contains { patterns.contains($0) }
        return listed == (apiMode == 1)
    }
}
