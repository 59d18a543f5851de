/// What the web UI remembers per user between pages (a list's filter, sorting and page).
struct ProfileService: Sendable {
    let database: any Database

    /// The caller's remembered values whose keys start with `prefix`.
    func values(prefix: String, by caller: CallContext) async throws -> [String: String] {
        try await database.read { db in try await ProfileRepository.values(db, userid: caller.principal.id, prefix: prefix) }
    }

    /// Remembers values for the caller; a key mapped to nil is forgotten.
    func store(_ values: [String: String?], by caller: CallContext) async throws {
        guard !values.isEmpty else { return }
        try await database.transaction { db in try await ProfileRepository.store(db, userid: caller.principal.id, values) }
    }
}
