import SQLKit

/// The system settings (users spec §7) as the services, the API and the pages read them, and their
/// changes (`settings.update`, `authentication.update`): stored in the database, so every instance
/// uses a change from its next request on.
struct SettingsService: Sendable {
    let database: any Database

    /// The two groups of settings that change together, as Zabbix audits them.
    enum Group: Sendable {
        case settings
        case authentication

        var resource: AuditLog.Resource { self == .settings ? .settings : .authentication }
        var prefix: String { self == .settings ? "settings" : "authentication" }
    }

    func current() async throws -> Settings {
        try await database.read { db in try await Settings.load(db) }
    }

    /// Stores the given values (already validated, in the caller's order) with an audit record of
    /// those that changed; returns their names.
    func update(_ values: [(name: String, value: String)], _ group: Group, by caller: CallContext) async throws -> [String] {
        try caller.principal.permissions.requireSuperAdmin(for: "\(group.prefix).update")
        try await database.transaction { db in
            let stored = try await Settings.load(db)
            var changes: [(String, new: String, old: String)] = []
            for (name, value) in values where value != stored.string(name) {
                try await SettingsRepository.store(db, name, value)
                changes.append((name, new: value, old: stored.string(name)))
            }
            guard !changes.isEmpty else { return }
            let details = AuditLog.updateDetails(group.prefix, changes)
            try await AuditLog.write(
                db,
                caller,
                [.init(action: .update, resource: group.resource, resourceid: "1", resourcename: "", details: details)]
            )
        }
        return values.map(\.name)
    }
}
