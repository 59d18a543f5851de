import SQLKit

/// The checks of the token rules: fields, lists, ownership and unique names.
extension TokenService {
    /// The tokens among `ids` that the caller may change, all of them or none: an id that does not exist
    /// or is not the caller's to change fails the whole call. Announces the change to other instances.
    func visible(_ db: any SQLDatabase, _ ids: [TokenID], by caller: CallContext, onlyOwn: Bool) async throws -> [TokenID: Token] {
        try await changes.announce(.tokens(ids.map(\.description)), in: db)
        let found = try await TokenRepository.tokens(db, ids: ids, owner: caller.principal.permissions.tokenOwnerLimit(onlyOwn: onlyOwn))
        guard found.count == Set(ids).count else { throw APIError.noPermissions }
        return found
    }

    /// The longest name and description, in characters (Unicode scalars, as Zabbix counts them).
    static let nameLimit = 64
    static let descriptionLimit = 65535

    /// The fields of the `item`th token of a call (the API's rule tree checks the same first, with the
    /// same messages): a name that is not empty and not too long, text without NUL characters (PostgreSQL
    /// cannot store them), and an expiry time that fits the 32-bit column, as in Zabbix.
    static func check(_ name: String?, _ description: String?, _ expiry: Expiry?, item: Int) throws(APIError) {
        func text(_ value: String?, _ field: TokenField, limit: Int) throws(APIError) {
            guard let value else { return }
            let path = "/\(item)/\(field.rawValue)"
            if value.containsNUL { throw .invalid(path, "the NUL character is not allowed") }
            if field == .name, value.isEmpty { throw .invalid(path, "cannot be empty") }
            if value.unicodeScalars.count > limit { throw .invalid(path, "value is too long") }
        }
        try text(name, .name, limit: nameLimit)
        try text(description, .description, limit: descriptionLimit)
        if let time = expiry?.unixTime, Int32(exactly: time) == nil { throw .invalid("/\(item)/expires_at", "a number is too large") }
    }

    /// Under User settings (`onlyOwn`) every id must be one of the caller's own tokens, checked before
    /// the ids themselves (a repeated id of someone else's token is refused as not permitted).
    func requireOwn(_ ids: [TokenID], by caller: CallContext, onlyOwn: Bool) async throws {
        guard onlyOwn, !ids.isEmpty else { return }
        let own = try await database.read { db in try await TokenRepository.tokens(db, ids: ids, owner: caller.principal.id) }
        guard own.count == Set(ids).count else { throw APIError.noPermissions }
    }

    /// A user's token names are unique: `Invalid parameter "/2": value (userid, name)=(1, a) already exists.`
    static func checkUnique(_ pairs: [(owner: UserID, name: String)]) throws(APIError) {
        try checkUnique(pairs.map { [$0.owner.description, $0.name] }, fields: "userid, name")
    }

    /// The first repeated value of a call, by its position: `Invalid parameter "/2": value (tokenid)=(5) already exists.`
    static func checkUnique(_ keys: [[String]], fields: String) throws(APIError) {
        var seen = Set<[String]>()
        for (index, key) in keys.enumerated() {
            if !seen.insert(key).inserted {
                throw .invalid("/\(index + 1)", "value (\(fields))=(\(key.joined(separator: ", "))) already exists")
            }
        }
    }

    /// Refuses names a user already has, naming the first existing token that clashes (the whole set is
    /// looked up at once, so renaming two tokens to each other's names fails too).
    static func checkNamesFree(_ db: any SQLDatabase, _ pairs: [(owner: UserID, name: String)]) async throws {
        if let clash = try await TokenRepository.firstWithName(db, pairs) {
            throw APIError.params("API token \"\(clash.name)\" already exists for userid \"\(clash.owner)\".")
        }
    }
}
