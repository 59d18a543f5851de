import HummingbirdBcrypt
import NIOPosix

/// bcrypt (cost 10, as Zabbix), computed on the NIO thread pool so that it never blocks request tasks.
enum Passwords {
    static let cost: UInt8 = 10

    static func hash(_ password: String) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    static func verify(_ password: String, hash: String) async throws -> Bool {
        guard !hash.isEmpty else { return false }
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }
}
