import NIOConcurrencyHelpers
import SQLKit

/// Logging in and out, and checking credentials for other services (users spec §2).
struct SessionService: Sendable {
    let database: any Database
    let authenticator: Authenticator
    let failures: FailureLimiter
    let clock: UnixTime
    /// The settings the user object needs (default language and time zone), read once: no API method
    /// changes them, and `user.checkAuthentication` sits in front of other services' every request.
    private let defaults = NIOLockedValueBox<Settings?>(nil)

    init(database: any Database, authenticator: Authenticator, failures: FailureLimiter, clock: UnixTime) {
        self.database = database
        self.authenticator = authenticator
        self.failures = failures
        self.clock = clock
    }

    /// The settings the user object needs, read once.
    func userDefaults() async throws -> Settings {
        if let cached = defaults.withLockedValue({ $0 }) { return cached }
        let settings = try await database.read { db in try await Settings.load(db) }
        defaults.withLockedValue { $0 = settings }
        return settings
    }

    static let failedLogin = "Incorrect user name or password or account is temporarily blocked."

    /// The parameters of `user.login`; the sign-in page's fields are checked against the same rules.
    static let loginRule = ObjectRule([
        .required("username", .string(maxLength: 255)),
        .optional("user", .string(maxLength: 255)),
        .required("password", .string(maxLength: 255)),
        .optional("userData", .flag),
    ])

    /// A new session and who it is for.
    struct SignedIn: Sendable {
        let sessionid: String
        let account: UserAccount
        /// The system settings at sign-in (the user object names the default language and time zone).
        let settings: Settings
    }

    /// Signs a user in (`user.login`, the sign-in page): checks the address's failure limit, the account's
    /// state and block, and the password, counting and auditing failures; returns the new session.
    func login(username: String, password: String, ip: String, recordsetid: String) async throws -> SignedIn {
        _ = try Validator.object(["username": .string(username), "password": .string(password)], Self.loginRule, path: "/")
        let now = clock.now
        try failures.check(ip)

        /// Refuses the login with an audit record; `counted` also records the failed password on the account.
        func fail(_ error: APIError, account: UserAccount?, extra: [AuditLog.Record] = [], counted: Bool = false) async throws -> Never {
            failures.failed(ip)
            try await database.transaction { db in
                if counted, let account { try await UserRepository.recordFailedPassword(db, id: account.id, ip: ip, at: now) }
                try await AuditLog.write(
                    db,
                    userid: account?.id.description,
                    username: account?.username ?? username,
                    ip: ip,
                    clock: now,
                    recordsetid: recordsetid,
                    extra + [.init(action: .loginFailed, resource: .user, resourceid: account?.id.description, resourcename: "", details: nil)]
                )
            }
            throw error
        }

        guard let account = try await database.read({ db in try await UserRepository.account(db, username: username) }) else {
            _ = try await Passwords.verify(password, hash: "")
            try await fail(.params(Self.failedLogin), account: nil)
        }
        if account.isDisabled { try await fail(.params("No permissions for system access."), account: account) }
        let settings = try await database.read { db in try await Settings.load(db) }
        // The attempt is counted before the password is checked, in one statement, so that of parallel
        // guesses no more than the limit get checked (the block of step 3 holds for every one of them).
        let claimed = try await database.transaction { db in
            try await UserRepository.claimLoginAttempt(
                db,
                id: account.id,
                at: now,
                limit: settings.loginAttempts,
                blockSeconds: settings.loginBlockSeconds
            )
        }
        guard let failed = claimed else { try await fail(.application(Self.failedLogin), account: account) }
        guard try await Passwords.verify(password, hash: account.passwordHash) else {
            try await fail(
                .application(Self.failedLogin),
                account: account,
                extra: [
                    .init(
                        action: .update,
                        resource: .user,
                        resourceid: account.id.description,
                        resourcename: account.username,
                        details: AuditLog.updateDetails("user", [("attempt_failed", String(failed + 1), String(failed))])
                    )
                ],
                counted: true
            )
        }
        let sessionid = try await database.transaction { db -> String in
            var records: [AuditLog.Record] = []
            try await UserRepository.endLoginAttempt(db, id: account.id, restoringClock: account.attemptClock)
            if failed != 0 {
                records.append(
                    .init(
                        action: .update,
                        resource: .user,
                        resourceid: account.id.description,
                        resourcename: account.username,
                        details: AuditLog.updateDetails("user", [("attempt_failed", "0", String(failed))])
                    )
                )
            }
            let sessionid = try await SessionRepository.create(db, userid: account.id, now: now)
            records.append(.init(action: .login, resource: .user, resourceid: account.id.description, resourcename: "", details: nil))
            try await AuditLog.write(
                db,
                userid: account.id.description,
                username: account.username,
                ip: ip,
                clock: now,
                recordsetid: recordsetid,
                records
            )
            return sessionid
        }
        return SignedIn(sessionid: sessionid, account: account, settings: settings)
    }

    /// Ends the caller's session with an audit record (`user.logout`, the web UI's sign-out). API tokens
    /// have no session and cannot be logged out.
    func logout(_ context: CallContext) async throws {
        guard case .session(let sessionid) = context.principal.credential else {
            throw APIError.params(
                "Cannot log out: this call is authenticated with an API token, which has no session. Disable, delete or regenerate the token to revoke it."
            )
        }
        try await database.transaction { db in
            try await SessionRepository.terminate(db, sessionid: sessionid, userid: context.principal.id)
            try await AuditLog.write(
                db,
                context,
                [
                    .init(action: .logout, resource: .user, resourceid: context.principal.userid, resourcename: "", details: nil)
                ]
            )
        }
    }

    /// The owner of an API token, as authentication checks it (`user.checkAuthentication`), counted
    /// against the caller's failure limit.
    func checkToken(_ token: String, ip: String) async throws -> UserAccount {
        try await failures.counting(ip) { try await authenticator.tokenAccount(token) }.account
    }

    /// The owner of a live session (`extend` records its use), counted against the caller's failure limit.
    func checkSession(_ sessionid: String, extend: Bool, ip: String) async throws -> UserAccount {
        try await failures.counting(ip) { try await authenticator.authenticateSession(sessionid, extend: extend) }
    }
}
