import Crypto

/// Random secrets and their stored form.
enum Secrets {
    /// A new API token: 32 bytes from the system CSPRNG as 64 lowercase hex characters.
    static func newToken() -> String { randomHex(bytes: 32) }

    /// A new session id: 16 random bytes as 32 lowercase hex characters.
    static func newSessionID() -> String { randomHex(bytes: 16) }

    /// What the database keeps of a token: the lowercase hex SHA-512 of the string as presented.
    static func tokenHash(_ token: String) -> String { TokenDigest(token).hex }

    /// What the database keeps of a session id: the first 128 bits of its SHA-256, as 32 hex
    /// characters. The id is looked up by this key, so the lookup's timing says nothing about ids
    /// near a guess, and a copy of the database holds no usable session.
    static func sessionKey(_ sessionid: String) -> String {
        hex(SHA256.hash(data: Array(sessionid.utf8)).prefix(16))
    }

    static func randomHex(bytes count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return hex((0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    /// Whether two secrets (CSRF tokens, signatures) are equal, in a time that depends on their
    /// length only, not on where they first differ.
    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        return x.count == y.count && zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    private static let digits = Array("0123456789abcdef".utf8)

    static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let bytes = Array(bytes)
        return String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            for (index, byte) in bytes.enumerated() {
                out[2 * index] = digits[Int(byte >> 4)]
                out[2 * index + 1] = digits[Int(byte & 0xF)]
            }
            return bytes.count * 2
        }
    }
}

/// The SHA-512 of a token as presented, as eight words: the key of authenticated tokens in memory
/// (hashed and compared without building the hex string the database keeps).
struct TokenDigest: Hashable, Sendable {
    private let w0, w1, w2, w3, w4, w5, w6, w7: UInt64

    init(_ token: String) {
        let digest = SHA512.hash(data: Array(token.utf8))
        (w0, w1, w2, w3, w4, w5, w6, w7) = digest.withUnsafeBytes { raw in
            func word(_ index: Int) -> UInt64 { raw.loadUnaligned(fromByteOffset: 8 * index, as: UInt64.self) }
            return (word(0), word(1), word(2), word(3), word(4), word(5), word(6), word(7))
        }
    }

    /// The stored form (`Secrets.tokenHash`): the eight words lie in memory in declaration order and
    /// hold the digest's bytes as loaded (`TokenAPITests` checks the result against a known SHA-512).
    var hex: String { withUnsafeBytes(of: self) { Secrets.hex($0) } }
}
