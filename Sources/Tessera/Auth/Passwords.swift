import HummingbirdBcrypt
import NIOCore
import NIOPosix

/// bcrypt (cost 10, as Zabbix), computed on threads of its own so that it never blocks request tasks.
enum Passwords {
    static let cost: UInt8 = 10

    /// One thread per core, apart from `NIOThreadPool.singleton`: SQLite runs every statement on
    /// that pool, and a burst of sign-ins (tens of milliseconds of CPU each) queued there would hold
    /// up every database write behind it.
    private static let threads: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: System.coreCount)
        pool.start()
        return pool
    }()

    static func hash(_ password: String) async throws -> String {
        try await threads.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    /// Whether `password` is the one `hash` was made of. Without a hash (an unknown user, a user
    /// without a password) it is checked against a hash no password matches, so the answer takes as
    /// long as for a wrong password: the time does not tell whether the user exists.
    static func verify(_ password: String, hash: String) async throws -> Bool {
        try await threads.runIfActive {
            guard !hash.isEmpty else {
                _ = Bcrypt.verify(password, hash: unmatchable)
                return false
            }
            return Bcrypt.verify(password, hash: hash)
        }
    }

    /// The hash of a random value no one knows, made once.
    private static let unmatchable = Bcrypt.hash(Secrets.newSessionID() + Secrets.newSessionID(), cost: cost)
}
