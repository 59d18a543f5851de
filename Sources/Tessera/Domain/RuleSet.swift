/// A named rule and whether it allows what it names: a UI element or an action of a role.
struct RuleEntry: Sendable, Equatable {
    var name: String
    var allowed: Bool

    init(_ name: String, allowed: Bool = true) {
        self.name = name
        self.allowed = allowed
    }
}

/// A frontend module's rule. Tessera has no modules: the id is kept as given (digits) and shown again.
struct ModuleRule: Sendable, Equatable {
    var moduleid: String
    var allowed: Bool

    init(moduleid: String, allowed: Bool = true) {
        self.moduleid = moduleid
        self.allowed = allowed
    }
}

/// Whether a role's API method list names the methods its users may call or those they may not (`api.mode`).
enum APIMode: Int, Sendable {
    case deny = 0
    case allow = 1
}

/// The rules of a role as the API shows them (`rules` of role.get/create/update), compiled to and from
/// `role_rule` rows (users spec §5.2): only statuses that differ from their default access are stored.
struct RuleSet: Sendable, Equatable {
    /// A stored `role_rule` row.
    struct Row: Sendable, Equatable {
        var name: String
        var type: Int
        var int: Int
        var str: String
    }

    var uiDefault = true
    /// Explicit UI statuses, in stored order.
    var ui: [RuleEntry] = []
    /// `services.read.mode`: read access to every service, or only to those listed.
    var servicesReadAll = true
    /// `services.write.mode`: write access to every service, or only to those listed.
    var servicesWriteAll = false
    var modulesDefault = true
    var modules: [ModuleRule] = []
    var apiAccess = true
    var apiMode = APIMode.deny
    /// API method patterns (`user.get`, `token.*`, `*.get`), in stored order.
    var api: [String] = []
    var actionsDefault = true
    /// Explicit action statuses, in stored order.
    var actions: [RuleEntry] = []

    /// Every rule at its default.
    init() {}

    init(rows: [Row]) {
        var methods: [(Int, String)] = []
        for row in rows {
            let allowed = row.int != 0
            switch row.name {
            case "ui.default_access": uiDefault = allowed
            case "services.read": servicesReadAll = allowed
            case "services.write": servicesWriteAll = allowed
            case "modules.default_access": modulesDefault = allowed
            case "api.access": apiAccess = allowed
            case "api.mode": apiMode = APIMode(rawValue: row.int) ?? .deny
            case "actions.default_access": actionsDefault = allowed
            case let name where name.hasPrefix("api.method."):
                methods.append((Int(name.dropFirst("api.method.".count)) ?? 0, row.str))
            case let name where name.hasPrefix("ui."): ui.append(RuleEntry(String(name.dropFirst(3)), allowed: allowed))
            case let name where name.hasPrefix("actions."): actions.append(RuleEntry(String(name.dropFirst(8)), allowed: allowed))
            case let name where name.hasPrefix("modules.module."): modules.append(ModuleRule(moduleid: row.str, allowed: allowed))
            default: break
            }
        }
        api = methods.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// Applies a change; rules it leaves out keep their values, UI elements and actions merge by name.
    /// On an update (`existingType` set) the elements not named keep their effective status even when
    /// the default access changes, so they are first written out explicitly.
    mutating func merge(_ change: RoleRulesChange, existingType: UserType? = nil) {
        if let type = existingType {
            if change.ui != nil || change.uiDefaultAccess != nil {
                let current = Dictionary(uiStatuses(type: type).map { ($0.name, $0.allowed) }, uniquingKeysWith: { a, _ in a })
                ui = RoleCatalog.uiElements(type: type.rawValue).map { RuleEntry($0, allowed: current[$0] ?? uiDefault) }
            }
            if change.actions != nil || change.actionsDefaultAccess != nil {
                let current = Dictionary(actionStatuses(type: type).map { ($0.name, $0.allowed) }, uniquingKeysWith: { a, _ in a })
                actions = RoleCatalog.actions(type: type.rawValue).map { RuleEntry($0, allowed: current[$0] ?? actionsDefault) }
            }
        }
        if let value = change.uiDefaultAccess { uiDefault = value }
        for entry in change.ui ?? [] { Self.set(&ui, entry) }
        if let value = change.servicesReadAll { servicesReadAll = value }
        if let value = change.servicesWriteAll { servicesWriteAll = value }
        if let value = change.modulesDefaultAccess { modulesDefault = value }
        for module in change.modules ?? [] {
            if let index = modules.firstIndex(where: { $0.moduleid == module.moduleid }) {
                modules[index].allowed = module.allowed
            } else {
                modules.append(module)
            }
        }
        if let value = change.apiAccess { apiAccess = value }
        if let value = change.apiMode { apiMode = value }
        if let list = change.api { api = list }
        if let value = change.actionsDefaultAccess { actionsDefault = value }
        for entry in change.actions ?? [] { Self.set(&actions, entry) }
    }

    private static func set(_ list: inout [RuleEntry], _ entry: RuleEntry) {
        if let index = list.firstIndex(where: { $0.name == entry.name }) { list[index].allowed = entry.allowed } else { list.append(entry) }
    }

    /// The rows to store.
    func rows() -> [Row] {
        func flag(_ name: String, _ allowed: Bool) -> Row { Row(name: name, type: 0, int: allowed ? 1 : 0, str: "") }
        var rows: [Row] = []
        for entry in ui where entry.allowed != uiDefault { rows.append(flag("ui.\(entry.name)", entry.allowed)) }
        rows.append(flag("ui.default_access", uiDefault))
        rows.append(flag("services.read", servicesReadAll))
        rows.append(flag("services.write", servicesWriteAll))
        for (index, module) in modules.enumerated() where module.allowed != modulesDefault {
            rows.append(Row(name: "modules.module.\(index)", type: 2, int: module.allowed ? 1 : 0, str: module.moduleid))
        }
        rows.append(flag("modules.default_access", modulesDefault))
        rows.append(flag("api.access", apiAccess))
        if apiAccess {
            rows.append(Row(name: "api.mode", type: 0, int: apiMode.rawValue, str: ""))
            for (index, method) in api.enumerated() { rows.append(Row(name: "api.method.\(index)", type: 1, int: 0, str: method)) }
        }
        for entry in actions where entry.allowed != actionsDefault { rows.append(flag("actions.\(entry.name)", entry.allowed)) }
        rows.append(flag("actions.default_access", actionsDefault))
        return rows
    }

    /// Effective UI statuses for a role type: stored entries first, then the rest at the default.
    func uiStatuses(type: UserType) -> [RuleEntry] {
        Self.effective(ui, all: RoleCatalog.uiElements(type: type.rawValue), default: uiDefault)
    }

    /// Effective action statuses for a role type: stored entries first, then the rest at the default.
    func actionStatuses(type: UserType) -> [RuleEntry] {
        Self.effective(actions, all: RoleCatalog.actions(type: type.rawValue), default: actionsDefault)
    }

    private static func effective(_ stored: [RuleEntry], all: [String], default value: Bool) -> [RuleEntry] {
        let explicit = stored.filter { all.contains($0.name) }
        return explicit + all.filter { name in !explicit.contains { $0.name == name } }.map { RuleEntry($0, allowed: value) }
    }
}

/// Changes to a role's rules (`rules` of role.create/update, the role form): nil leaves a rule as it
/// is; the UI elements, modules and actions named are set, the others keep their status.
struct RoleRulesChange: Sendable {
    var ui: [RuleEntry]?
    var uiDefaultAccess: Bool?
    var servicesReadAll: Bool?
    var servicesWriteAll: Bool?
    var modules: [ModuleRule]?
    var modulesDefaultAccess: Bool?
    var apiAccess: Bool?
    var apiMode: APIMode?
    /// The whole method list, replacing the stored one.
    var api: [String]?
    var actions: [RuleEntry]?
    var actionsDefaultAccess: Bool?

    init(
        ui: [RuleEntry]? = nil,
        uiDefaultAccess: Bool? = nil,
        servicesReadAll: Bool? = nil,
        servicesWriteAll: Bool? = nil,
        modules: [ModuleRule]? = nil,
        modulesDefaultAccess: Bool? = nil,
        apiAccess: Bool? = nil,
        apiMode: APIMode? = nil,
        api: [String]? = nil,
        actions: [RuleEntry]? = nil,
        actionsDefaultAccess: Bool? = nil
    ) {
        self.ui = ui
        self.uiDefaultAccess = uiDefaultAccess
        self.servicesReadAll = servicesReadAll
        self.servicesWriteAll = servicesWriteAll
        self.modules = modules
        self.modulesDefaultAccess = modulesDefaultAccess
        self.apiAccess = apiAccess
        self.apiMode = apiMode
        self.api = api
        self.actions = actions
        self.actionsDefaultAccess = actionsDefaultAccess
    }
}
