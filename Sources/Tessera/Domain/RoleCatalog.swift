/// The names role rules may use, per role type (users spec §5.1).
enum RoleCatalog {
    static let uiUser = [
        "inventory.hosts", "inventory.overview", "monitoring.dashboard", "monitoring.hosts", "monitoring.latest_data", "monitoring.maps",
        "monitoring.problems", "reports.availability_report", "reports.top_triggers", "services.services", "services.sla_report",
    ]
    static let uiAdmin = [
        "configuration.actions", "configuration.discovery", "configuration.host_groups", "configuration.hosts", "configuration.maintenance",
        "configuration.templates", "monitoring.discovery", "reports.notifications", "reports.scheduled_reports", "services.actions", "services.sla",
    ]
    static let uiSuperAdmin = [
        "administration.authentication", "administration.general", "administration.media_types", "administration.proxies",
        "administration.queue", "administration.scripts", "administration.user_groups", "administration.user_roles", "administration.users",
        "configuration.event_correlation", "reports.action_log", "reports.audit", "reports.system_info",
    ]
    static let actionsUser = [
        "edit_dashboards", "edit_maps", "acknowledge_problems", "close_problems", "change_severity", "add_problem_comments",
        "execute_scripts", "manage_api_tokens",
    ]
    static let actionsAdmin = ["edit_maintenance", "manage_scheduled_reports", "manage_sla"]

    /// UI elements of a role type, in canonical order.
    static func uiElements(type: Int) -> [String] {
        uiUser + (type >= 2 ? uiAdmin : []) + (type >= 3 ? uiSuperAdmin : [])
    }

    /// Actions of a role type, in canonical order.
    static func actions(type: Int) -> [String] {
        actionsUser + (type >= 2 ? actionsAdmin : [])
    }

    /// Methods of the whole Zabbix 6.0 API that need authentication (what `rules.api` may name).
    static let apiMethods: [String: Set<String>] = {
        let crud: Set<String> = ["create", "delete", "get", "update"]
        var table: [String: Set<String>] = [:]
        for service in [
            "action", "correlation", "dashboard", "discoveryrule", "drule", "graph", "graphprototype", "hostprototype", "httptest",
            "iconmap", "image", "item", "itemprototype", "maintenance", "map", "mediatype", "module", "proxy", "regexp", "report",
            "role", "service", "sla", "templatedashboard", "trigger", "triggerprototype", "usergroup", "valuemap",
        ] { table[service] = crud }
        table["alert"] = ["get"]
        table["auditlog"] = ["get"]
        table["authentication"] = ["get", "update"]
        table["autoregistration"] = ["get", "update"]
        table["configuration"] = ["export", "import", "importcompare"]
        table["dcheck"] = ["get"]
        table["dhost"] = ["get"]
        table["dservice"] = ["get"]
        table["event"] = ["get", "acknowledge"]
        table["graphitem"] = ["get"]
        table["hanode"] = ["get"]
        table["history"] = ["get", "clear"]
        table["host"] = crud.union(["massadd", "massremove", "massupdate"])
        table["hostgroup"] = crud.union(["massadd", "massremove", "massupdate"])
        table["hostinterface"] = crud.union(["massadd", "massremove", "replacehostinterfaces"])
        table["housekeeping"] = ["get", "update"]
        table["problem"] = ["get"]
        table["script"] = crud.union(["execute", "getscriptsbyhosts"])
        table["settings"] = ["get", "update"]
        table["sla"] = crud.union(["getsli"])
        table["task"] = ["create", "get"]
        table["template"] = crud.union(["massadd", "massremove", "massupdate"])
        table["token"] = crud.union(["generate"])
        table["trend"] = ["get"]
        table["user"] = crud.union(["logout", "unblock", "provision"])
        table["usermacro"] = crud.union(["createglobal", "deleteglobal", "updateglobal"])
        return table
    }()

    /// Whether `pattern` may stand in a role's API method list.
    static func isValidAPIPattern(_ pattern: String) -> Bool {
        if pattern == "*" || pattern == "*.*" { return true }
        let parts = pattern.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 else { return false }
        switch (parts[0], parts[1]) {
        case ("*", let method): return apiMethods.values.contains { $0.contains(method) }
        case (let service, "*"): return apiMethods[service] != nil
        case (let service, let method): return apiMethods[service]?.contains(method) ?? false
        }
    }
}
