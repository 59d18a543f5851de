/// Turns the `auth` value of a call into a `Principal` (token spec §3.3): 64 bytes means an API token,
/// anything else a session id.
struct Authenticator: Sendable {
    let database: any Database
    let clock: UnixTime
    let cache: TokenCache
    let lastAccess: LastAccessRecorder
    let telemetry: Telemetry
    /// Seconds a session lasts from its login, however active (`--session-lifetime`); 0: no limit.
    let sessionLifetime: Int

    /// How long a failed token lookup waits before answering; it suspends the task, never a thread.
    static let failureDelay: Duration = .milliseconds(10)

    /// The caller, with the rules of its role.
    func authenticate(_ auth: String) async throws -> Principal {
        if auth.utf8.count == 64 {
            let entry = try await tokenEntry(auth)
            return entry.account.principal(.token(tokenid: entry.tokenid.description), rules: entry.rules)
        }
        let account = try await authenticateSession(auth, extend: true)
        let rules = try await database.read { db in try await RoleRepository.rules(db, roleid: account.roleid) }
        return account.principal(.session(auth), rules: rules)
    }

    /// Steps 2a–2e: the token must exist and be enabled, not be expired, and its owner must not be
    /// disabled; then its use is recorded (`lastaccess`, written by the recorder).
    func tokenAccount(_ token: String) async throws -> (tokenid: TokenID, account: UserAccount) {
        let entry = try await tokenEntry(token)
        return (entry.tokenid, entry.account)
    }

    private func tokenEntry(_ token: String) async throws -> TokenCache.Entry {
        let digest = TokenDigest(token)
        let now = clock.now
        let entry: TokenCache.Entry
        let cached = cache.entry(for: digest)
        telemetry.cacheLookup(hit: cached != nil)
        if let cached {
            try checkExpiry(cached.expiresAt, now: now)
            entry = cached
        } else {
            entry = try await load(digest: digest, now: now)
        }
        lastAccess.note(tokenid: entry.tokenid.value, at: now)
        telemetry.authenticated(.token)
        return entry
    }

    /// Step 2b, checked on every use (cached or not) and before the owner's state: a token is
    /// accepted up to and including its second.
    private func checkExpiry(_ expiresAt: Int64, now: Int64) throws {
        if expiresAt != 0, expiresAt < now {
            telemetry.refused(.expired)
            throw APIError.application("API token expired.")
        }
    }

    /// Step 2a's refusal (an unknown or disabled token), after the failure delay.
    private func refuse(_ reason: Telemetry.Refusal) async -> APIError {
        telemetry.refused(reason)
        try? await Task.sleep(for: Self.failureDelay)
        return APIError.notAuthorized
    }

    /// Reads a token, its owner and the owner's role rules, and caches them when the owner is active.
    private func load(digest: TokenDigest, now: Int64) async throws -> TokenCache.Entry {
        let generation = cache.generation
        let hash = digest.hex
        let found = try await database.read { db in try await TokenRepository.credential(db, hash: hash) }
        guard let found else { throw await refuse(.unknown) }
        guard found.status == .enabled else { throw await refuse(.disabled) }
        let userid = found.owner
        let expiresAt = found.expiry.unixTime
        try checkExpiry(expiresAt, now: now)
        guard let account = try await database.read({ db in try await UserRepository.account(db, id: userid) }),
            !account.isDisabled
        else {
            telemetry.refused(.ownerDisabled)
            throw APIError.notAuthorized
        }
        let rules = try await database.read { db in try await RoleRepository.rules(db, roleid: account.roleid) }
        let entry = TokenCache.Entry(
            tokenid: found.id,
            expiresAt: expiresAt,
            account: account,
            rules: rules,
            generation: generation
        )
        cache.store(entry, for: digest)
        return entry
    }

    /// Session checks (users spec §2.2): active, not idle past the user's autologout, owner not disabled;
    /// and, Tessera's own, not older than `sessionLifetime`. `extend` bumps `lastaccess`.
    func authenticateSession(_ sessionid: String, extend: Bool) async throws -> UserAccount {
        let now = clock.now
        let found = try await database.read { db in try await SessionRepository.find(db, sessionid: sessionid) }
        guard let found, found.active else { throw refusedSession() }
        let userid = found.userid
        let lastaccess = found.lastaccess
        guard let account = try await database.read({ db in try await UserRepository.account(db, id: userid) }) else {
            throw refusedSession()
        }
        let autologout = TimeUnit.seconds(account.autologout) ?? 0
        // The session's own bookkeeping is best effort: when the database cannot be written (disk full,
        // read-only), reads go on and an ended session is refused all the same.
        let expired = sessionLifetime != 0 && found.createdAt + Int64(sessionLifetime) <= now
        if account.isDisabled || (autologout != 0 && lastaccess + Int64(autologout) <= now) || expired {
            try? await database.transaction { db in
                try await SessionRepository.terminate(db, sessionid: sessionid, userid: userid)
            }
            throw refusedSession()
        }
        if extend, lastaccess != now {
            try? await database.transaction { db in
                try await SessionRepository.touch(db, sessionid: sessionid, at: now)
            }
        }
        telemetry.authenticated(.session)
        return account
    }

    private func refusedSession() -> APIError {
        telemetry.refused(.session)
        return APIError.sessionTerminated
    }
}
