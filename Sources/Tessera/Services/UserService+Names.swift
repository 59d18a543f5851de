extension UserService {
    /// The names of those of the users that the caller may see.
    public func names(of ids: [UserID], by caller: CallContext) async throws -> [UserID: UserNames] {
        guard !ids.isEmpty else { return [:] }
        return try await database.read { db in try await UserRepository.names(db, of: ids, for: caller.principal) }
    }

    /// `username (name surname)` of those of the users that the caller may see.
    public func displayNames(of ids: [UserID], by caller: CallContext) async throws -> [UserID: String] {
        try await names(of: ids, by: caller).mapValues(\.fullName)
    }

    /// The user with exactly this username (case-sensitive, as `user.login` matches), if the caller may see them.
    public func user(named username: String, by caller: CallContext) async throws -> UserID? {
        try await database.read { db in try await UserRepository.userid(db, named: username, for: caller.principal) }
    }

    /// `user(named:by:)`, refusing a user the caller cannot see as one that does not exist.
    public func userID(named username: String, by caller: CallContext) async throws -> UserID {
        guard let id = try await user(named: username, by: caller) else { throw UserNotFound(username: username) }
        return id
    }
}

/// No user has this username, or none the caller may see.
public struct UserNotFound: Error, CustomStringConvertible {
    public let username: String
    public var description: String { "there is no user \"\(username)\"" }
}
