import HummingbirdBcrypt
import NIOPosix

/// bcrypt (cost 10, as Zabbix), computed on the NIO thread pool so that it never blocks request tasks.
enum Passwords {
    static let cost: UInt8 = 10

    static func hash(_ password: String) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    /// Whether `password` is the one `hash` was made of. Without a hash (an unknown user, a user
    /// without a password) it is checked against a hash no password matches, so the answer takes as
    /// long as for a wrong password: the time does not tell whether the user exists.
    static func verify(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive {
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
