import Crypto

/// Random secrets and their stored form.
public enum Secrets {
    /// A new API token: 32 bytes from the system CSPRNG as 64 lowercase hex characters.
    public static func newToken() -> String { randomHex(bytes: 32) }

    /// A new session id: 16 random bytes as 32 lowercase hex characters.
    public static func newSessionID() -> String { randomHex(bytes: 16) }

    /// What the database keeps of a token: the lowercase hex SHA-512 of the string as presented.
    public static func tokenHash(_ token: String) -> String {
        hex(SHA512.hash(data: Array(token.utf8)))
    }

    /// What the database keeps of a session id: the first 128 bits of its SHA-256, as 32 hex
    /// characters. The id is looked up by this key, so the lookup's timing says nothing about ids
    /// near a guess, and a copy of the database holds no usable session.
    public static func sessionKey(_ sessionid: String) -> String {
        hex(SHA256.hash(data: Array(sessionid.utf8)).prefix(16))
    }

    static func randomHex(bytes count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return hex((0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    private static let digits = Array("0123456789abcdef".utf8)

    static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
