/// The rules of a role in the shape of the API (`rules` of role.get/create/update), compiled to and from
/// `role_rule` rows (users spec §5.2): only statuses that differ from their default access are stored.
struct RuleSet: Sendable {
    /// A stored `role_rule` row.
    struct Row: Sendable, Equatable {
        var name: String
        var type: Int
        var int: Int
        var str: String
    }

    var uiDefault = 1
    /// Explicit UI statuses, in stored order.
    var ui: [(name: String, status: Int)] = []
    var servicesRead = 1
    var servicesWrite = 0
    var modulesDefault = 1
    var modules: [(id: String, status: Int)] = []
    var apiAccess = 1
    var apiMode = 0
    var api: [String] = []
    var actionsDefault = 1
    var actions: [(name: String, status: Int)] = []

    init() {}

    init(rows: [Row]) {
        var methods: [(Int, String)] = []
        for row in rows {
            switch row.name {
            case "ui.default_access": uiDefault = row.int
            case "services.read": servicesRead = row.int
            case "services.write": servicesWrite = row.int
            case "modules.default_access": modulesDefault = row.int
            case "api.access": apiAccess = row.int
            case "api.mode": apiMode = row.int
            case "actions.default_access": actionsDefault = row.int
            case let name where name.hasPrefix("api.method."):
                methods.append((Int(name.dropFirst("api.method.".count)) ?? 0, row.str))
            case let name where name.hasPrefix("ui."): ui.append((String(name.dropFirst(3)), row.int))
            case let name where name.hasPrefix("actions."): actions.append((String(name.dropFirst(8)), row.int))
            case let name where name.hasPrefix("modules.module."): modules.append((row.str, row.int))
            default: break
            }
        }
        api = methods.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// Applies the given `rules` parameter; omitted keys keep their values, ui/actions entries merge by name.
    /// On an update (`existingType` set) the elements not named keep their effective status even when
    /// the default access changes, so they are first written out explicitly.
    mutating func merge(_ rules: JSONObject, existingType: Int? = nil) {
        if let type = existingType {
            if rules["ui"] != nil || rules["ui.default_access"] != nil {
                let current = Dictionary(uiStatuses(type: type), uniquingKeysWith: { a, _ in a })
                ui = RoleCatalog.uiElements(type: type).map { ($0, current[$0]!) }
            }
            if rules["actions"] != nil || rules["actions.default_access"] != nil {
                let current = Dictionary(actionStatuses(type: type), uniquingKeysWith: { a, _ in a })
                actions = RoleCatalog.actions(type: type).map { ($0, current[$0]!) }
            }
        }
        func int(_ key: String) -> Int? { rules[key]?.scalarText.flatMap { Int($0) } }
        func entries(_ key: String) -> [(String, Int)] {
            (rules[key]?.arrayValue ?? []).map { ($0["name"]?.stringValue ?? "", $0["status"]?.scalarText.flatMap { Int($0) } ?? 1) }
        }
        if let v = int("ui.default_access") { uiDefault = v }
        for (name, status) in entries("ui") { Self.set(&ui, name, status) }
        if let v = int("services.read.mode") { servicesRead = v }
        if let v = int("services.write.mode") { servicesWrite = v }
        if let v = int("modules.default_access") { modulesDefault = v }
        for module in rules["modules"]?.arrayValue ?? [] {
            let id = module["moduleid"]?.stringValue ?? ""
            let status = module["status"]?.scalarText.flatMap { Int($0) } ?? 1
            if let i = modules.firstIndex(where: { $0.id == id }) { modules[i].status = status } else { modules.append((id, status)) }
        }
        if let v = int("api.access") { apiAccess = v }
        if let v = int("api.mode") { apiMode = v }
        if let list = rules["api"]?.arrayValue { api = list.compactMap(\.stringValue) }
        if let v = int("actions.default_access") { actionsDefault = v }
        for (name, status) in entries("actions") { Self.set(&actions, name, status) }
    }

    private static func set(_ list: inout [(name: String, status: Int)], _ name: String, _ status: Int) {
        if let i = list.firstIndex(where: { $0.name == name }) { list[i].status = status } else { list.append((name, status)) }
    }

    /// The rows to store.
    func rows() -> [Row] {
        var rows: [Row] = []
        for entry in ui where entry.status != uiDefault { rows.append(Row(name: "ui.\(entry.name)", type: 0, int: entry.status, str: "")) }
        rows.append(Row(name: "ui.default_access", type: 0, int: uiDefault, str: ""))
        rows.append(Row(name: "services.read", type: 0, int: servicesRead, str: ""))
        rows.append(Row(name: "services.write", type: 0, int: servicesWrite, str: ""))
        for (index, module) in modules.enumerated() where module.status != modulesDefault {
            rows.append(Row(name: "modules.module.\(index)", type: 2, int: module.status, str: module.id))
        }
        rows.append(Row(name: "modules.default_access", type: 0, int: modulesDefault, str: ""))
        rows.append(Row(name: "api.access", type: 0, int: apiAccess, str: ""))
        if apiAccess == 1 {
            rows.append(Row(name: "api.mode", type: 0, int: apiMode, str: ""))
            for (index, method) in api.enumerated() { rows.append(Row(name: "api.method.\(index)", type: 1, int: 0, str: method)) }
        }
        for entry in actions where entry.status != actionsDefault {
            rows.append(Row(name: "actions.\(entry.name)", type: 0, int: entry.status, str: ""))
        }
        rows.append(Row(name: "actions.default_access", type: 0, int: actionsDefault, str: ""))
        return rows
    }

    /// Effective UI statuses for a role type: stored entries first, then the rest at the default.
    func uiStatuses(type: Int) -> [(String, Int)] {
        Self.effective(ui, all: RoleCatalog.uiElements(type: type), default: uiDefault)
    }

    func actionStatuses(type: Int) -> [(String, Int)] {
        Self.effective(actions, all: RoleCatalog.actions(type: type), default: actionsDefault)
    }

    private static func effective(_ stored: [(name: String, status: Int)], all: [String], default value: Int) -> [(String, Int)] {
        let explicit = stored.filter { all.contains($0.name) }
        return explicit.map { ($0.name, $0.status) } + all.filter { name in !explicit.contains { $0.name == name } }.map { ($0, value) }
    }

    static let outputKeys = [
        "ui", "ui.default_access", "services.read.mode", "services.read.list", "services.read.tag", "services.write.mode",
        "services.write.list", "services.write.tag", "modules", "modules.default_access", "api.access", "api.mode", "api", "actions",
        "actions.default_access",
    ]

    /// The `rules` object of role.get with the requested keys, in the API's order.
    func output(type: Int, keys: [String]) -> JSONObject {
        var object = JSONObject()
        let tag: JSON = ["tag": "", "value": ""]
        for key in Self.outputKeys where keys.contains(key) {
            switch key {
            case "ui": object[key] = .array(uiStatuses(type: type).map { ["name": .string($0.0), "status": .string(String($0.1))] })
            case "ui.default_access": object[key] = .string(String(uiDefault))
            case "services.read.mode": object[key] = .string(String(servicesRead))
            case "services.write.mode": object[key] = .string(String(servicesWrite))
            case "services.read.list", "services.write.list": object[key] = []
            case "services.read.tag", "services.write.tag": object[key] = tag
            case "modules": object[key] = .array(modules.map { ["moduleid": .string($0.id), "status": .string(String($0.status))] })
            case "modules.default_access": object[key] = .string(String(modulesDefault))
            case "api.access": object[key] = .string(String(apiAccess))
            case "api.mode": object[key] = .string(String(apiMode))
            case "api": object[key] = .array(api.map { .string($0) })
            case "actions": object[key] = .array(actionStatuses(type: type).map { ["name": .string($0.0), "status": .string(String($0.1))] })
            default: object[key] = .string(String(actionsDefault))
            }
        }
        return object
    }
}
