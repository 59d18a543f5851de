import Crypto
import Foundation

/// The bearer token `/metrics` requires when `--metrics-token-file` is set. Only its SHA-256 is
/// kept, so the value is in no printable field, and a presented token is compared by its digest in
/// constant time: the answer's timing says nothing about how much of a guess was right.
public struct MetricsToken: Sendable {
    private let digest: [UInt8]

    init(_ value: String) {
        digest = Array(SHA256.hash(data: Array(value.utf8)))
    }

    /// Reads the token from `path`: the file's text without leading and trailing white space, which
    /// must be a non-empty RFC 6750 token (letters, digits and `-._~+/`, `=` at the end).
    public init(contentsOfFile path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError("cannot read the metrics token file \(path) (missing, or not readable by this user)")
        }
        let text = String(decoding: data, as: UTF8.self)
        let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !value.isEmpty else { throw ConfigurationError("the metrics token file \(path) is empty") }
        guard Self.isBearerToken(value) else {
            throw ConfigurationError("the metrics token in \(path) may only hold letters, digits and -._~+/ (with = at the end)")
        }
        self.init(value)
    }

    /// Whether an `Authorization` header value is `Bearer <this token>` (the scheme in any case).
    func admits(_ authorization: String?) -> Bool {
        guard let authorization, authorization.count > 7, authorization.prefix(7).lowercased() == "bearer " else { return false }
        let presented = Array(SHA256.hash(data: Array(authorization.dropFirst(7).utf8)))
        return zip(presented, digest).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    private static func isBearerToken(_ value: String) -> Bool {
        var body = Substring(value)
        while body.last == "=" { body.removeLast() }
        return !body.isEmpty && body.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-._~+/".contains($0)) }
    }
}
