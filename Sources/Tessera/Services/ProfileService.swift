/// What the web UI remembers per user between pages (a list's filter, sorting and page).
struct ProfileService: Sendable {
    let database: any Database

    /// The caller's remembered values whose keys start with `prefix`.
    func values(prefix: String, by caller: CallContext) async throws -> [String: String] {
        try await database.read { db in try await ProfileRepository.values(db, userid: caller.principal.id, prefix: prefix) }
    }

    /// The caller's values under `prefix` with `changes` made: remembered, or (`remember` false) only
    /// for this answer.
    func apply(_ changes: [String: String?], prefix: String, remember: Bool, by caller: CallContext) async throws -> [String: String] {
        if remember { try await store(changes, by: caller) }
        var values = try await values(prefix: prefix, by: caller)
        if !remember {
            for (key, value) in changes where key.hasPrefix(prefix) { values[key] = value }
        }
        return values
    }

    /// Remembers values for the caller; a key mapped to nil is forgotten.
    func store(_ values: [String: String?], by caller: CallContext) async throws {
        guard !values.isEmpty else { return }
        try await database.transaction { db in try await ProfileRepository.store(db, userid: caller.principal.id, values) }
    }
}
