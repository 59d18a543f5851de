import NIOConcurrencyHelpers
import SQLKit

/// Logging in and out, and checking credentials for other services (users spec §2).
public struct SessionService: Sendable {
    let database: any Database
    let authenticator: Authenticator
    let failures: FailureLimiter
    let clock: UnixTime
    /// The settings the user object needs (default language and time zone), read once: no API method
    /// changes them, and `user.checkAuthentication` sits in front of other services' every request.
    private let userDefaults = NIOLockedValueBox<Settings?>(nil)

    init(database: any Database, authenticator: Authenticator, failures: FailureLimiter, clock: UnixTime) {
        self.database = database
        self.authenticator = authenticator
        self.failures = failures
        self.clock = clock
    }

    private func defaults() async throws -> Settings {
        if let cached = userDefaults.withLockedValue({ $0 }) { return cached }
        let settings = try await database.read { db in try await Settings.load(db) }
        userDefaults.withLockedValue { $0 = settings }
        return settings
    }

    static let failedLogin = "Incorrect user name or password or account is temporarily blocked."

    static let loginRule = ObjectRule([
        .optional("username", .string(maxLength: 255)),
        .optional("user", .string(maxLength: 255)),
        .required("password", .string(maxLength: 255)),
        .optional("userData", .flag),
    ])

    /// `user.login`: returns the session id, or the user data with it when `userData` is set.
    public func login(_ params: JSON, ip: String, recordsetid: String) async throws -> JSON {
        var object = try Validator.plainObject(params, path: "/")
        if object["user"] != nil {
            if object["username"] != nil { throw APIError.params("Parameter \"user\" is deprecated.") }
            object["username"] = object["user"]
            object["user"] = nil
        }
        var rule = Self.loginRule
        rule.fields[0] = .required("username", .string(maxLength: 255))
        let validated = try Validator.object(.object(object), rule, path: "/")
        let username = validated["username"]!.stringValue!
        let password = validated["password"]!.stringValue!
        let now = clock.now
        try failures.check(ip)

        /// Refuses the login with an audit record; `counted` also counts a failed attempt against the account.
        func fail(_ error: APIError, account: UserAccount?, extra: [AuditLog.Record] = [], counted: Bool = false) async throws -> Never {
            failures.failed(ip)
            try await database.transaction { db in
                if counted, let account, let id = UserID(account.userid) { try await UserRepository.recordFailedLogin(db, id: id, ip: ip, at: now) }
                try await AuditLog.write(
                    db,
                    userid: account?.userid,
                    username: account?.username ?? username,
                    ip: ip,
                    clock: now,
                    recordsetid: recordsetid,
                    extra + [.init(action: .loginFailed, resource: .user, resourceid: account?.userid, resourcename: "", details: nil)]
                )
            }
            throw error
        }

        guard let account = try await database.read({ db in try await UserRepository.account(db, username: username) }) else {
            try await fail(.params(Self.failedLogin), account: nil)
        }
        if account.isDisabled { try await fail(.params("No permissions for system access."), account: account) }
        let settings = try await database.read { db in try await Settings.load(db) }
        let failed = account.int("attempt_failed")
        if failed >= settings.loginAttempts, settings.loginBlockSeconds - Int(now - Int64(account.int("attempt_clock"))) > 0 {
            try await fail(.application(Self.failedLogin), account: account)
        }
        guard try await Passwords.verify(password, hash: account.passwordHash) else {
            try await fail(
                .application(Self.failedLogin),
                account: account,
                extra: [
                    .init(
                        action: .update,
                        resource: .user,
                        resourceid: account.userid,
                        resourcename: account.username,
                        details: AuditLog.updateDetails("user", [("attempt_failed", String(failed + 1), String(failed))])
                    )
                ],
                counted: true
            )
        }
        let sessionid = try await database.transaction { db -> String in
            var records: [AuditLog.Record] = []
            if failed != 0 {
                try await UserRepository.resetFailedLogins(db, ids: [UserID(account.userid) ?? UserID(0)])
                records.append(
                    .init(
                        action: .update,
                        resource: .user,
                        resourceid: account.userid,
                        resourcename: account.username,
                        details: AuditLog.updateDetails("user", [("attempt_failed", "0", String(failed))])
                    )
                )
            }
            let sessionid = try await SessionRepository.create(db, userid: account.userid, now: now)
            records.append(.init(action: .login, resource: .user, resourceid: account.userid, resourcename: "", details: nil))
            try await AuditLog.write(
                db,
                userid: account.userid,
                username: account.username,
                ip: ip,
                clock: now,
                recordsetid: recordsetid,
                records
            )
            return sessionid
        }
        guard validated["userData"] == .bool(true) else { return .string(sessionid) }
        return .object(Self.userData(account, settings: settings, ip: ip, sessionid: sessionid))
    }

    /// The user object of `user.login` (`userData`) and `user.checkAuthentication`.
    /// The user's columns (`lang` and `timezone` "default" replaced by the system's), then what the
    /// role and groups give, the caller's address and the session id. Built in one pass: it is most
    /// of the work of `user.checkAuthentication`.
    static func userData(_ account: UserAccount, settings: Settings, ip: String, sessionid: String?) -> JSONObject {
        var data = JSONObject(minimumCapacity: account.fields.count + 5)
        account.fields.forEachPair { key, value in
            switch key {
            case "lang" where value == "default": data.append(key, .string(settings.string("default_lang")))
            case "timezone" where value == "default": data.append(key, .string(settings.string("default_timezone")))
            default: data.append(key, value)
            }
        }
        data.append("type", .int(account.roleType))
        data.append("userip", .string(ip))
        data.append("debug_mode", .int(account.debugMode))
        data.append("gui_access", .int(account.guiAccess))
        if let sessionid { data.append("sessionid", .string(sessionid)) }
        return data
    }

    /// Ends the caller's session with an audit record (`user.logout`, the web UI's sign-out). API tokens
    /// have no session and cannot be logged out.
    public func logout(_ context: CallContext) async throws {
        guard case .session(let sessionid) = context.principal.credential else {
            throw APIError.params(
                "Cannot log out: this call is authenticated with an API token, which has no session. Disable, delete or regenerate the token to revoke it."
            )
        }
        try await database.transaction { db in
            try await SessionRepository.terminate(db, sessionid: sessionid, userid: context.principal.userid)
            try await AuditLog.write(
                db,
                context,
                [
                    .init(action: .logout, resource: .user, resourceid: context.principal.userid, resourcename: "", details: nil)
                ]
            )
        }
    }

    static let tokenCheckRule = ObjectRule([.required("token", .string())])
    static let sessionCheckRule = ObjectRule([.required("sessionid", .string()), .optional("extend", .boolean)])

    /// `user.checkAuthentication`: exactly one of `sessionid` (with optional `extend`) or `token`.
    public func checkAuthentication(_ params: JSON, ip: String) async throws -> JSON {
        let object = try Validator.plainObject(params, path: "/")
        guard object.has("sessionid") != object.has("token") else { throw APIError.params("Session ID or token is expected.") }
        let settings = try await defaults()
        if object.has("token") {
            let validated = try Validator.object(params, Self.tokenCheckRule, path: "/")
            let (_, account) = try await failures.counting(ip) { try await authenticator.tokenAccount(validated["token"]!.stringValue!) }
            return .object(Self.userData(account, settings: settings, ip: ip, sessionid: nil))
        }
        let validated = try Validator.object(params, Self.sessionCheckRule, path: "/")
        let sessionid = validated["sessionid"]!.stringValue!
        let account = try await failures.counting(ip) {
            try await authenticator.authenticateSession(sessionid, extend: validated["extend"] != .bool(false))
        }
        return .object(Self.userData(account, settings: settings, ip: ip, sessionid: sessionid))
    }
}

extension Validator {
    /// `{}` or `[]`.
    static func isEmptyContainer(_ value: JSON) -> Bool {
        switch value {
        case .array(let items): return items.isEmpty
        case .object(let object): return object.isEmpty
        default: return false
        }
    }
}
