import Crypto
import Foundation

/// A new token's value on its way from the post that made it to the one page that shows it
/// (post/redirect/get). It travels in a cookie scoped to that page, sealed with AES-GCM under a key
/// derived from the browser's session id, and the page deletes the cookie as it shows it: nothing is
/// stored on the server, any instance can open it, and reloading the page finds nothing to show.
struct OneTimeValue: Codable, Equatable {
    /// The catalog title of the message above the value ("API token added" or "updated").
    var title: String
    var name: String
    /// The owner's name (the admin page shows it).
    var user: String
    var token: String
    var expiry: Int64
    var description: String
    var enabled: Bool
    /// When it was sealed: a cookie older than `lifetime` is not opened.
    var sealedAt: Int64

    static let cookie = "tessera_once"
    /// Seconds between the post and the redirected view; the cookie's own Max-Age says the same.
    static let lifetime: Int64 = 60

    /// The cookie value: nonce, ciphertext and tag, base64url.
    func sealed(sessionid: String, path: String) throws -> String {
        let box = try AES.GCM.seal(try JSONEncoder().encode(self), using: Self.key(sessionid: sessionid, path: path))
        guard let combined = box.combined else { throw CryptoKitError.incorrectParameterSize }
        return SessionSecrets.cookieText(combined)
    }

    /// The value a cookie carries, if it was sealed for this session and page and is still fresh.
    static func open(_ text: String, sessionid: String, path: String, now: Int64) -> OneTimeValue? {
        guard let data = SessionSecrets.bytes(ofCookieText: text), let box = try? AES.GCM.SealedBox(combined: data),
            let plain = try? AES.GCM.open(box, using: key(sessionid: sessionid, path: path)),
            let value = try? JSONDecoder().decode(OneTimeValue.self, from: plain),
            value.sealedAt <= now, now - value.sealedAt <= lifetime
        else { return nil }
        return value
    }

    /// One key per session and page: a cookie sealed for another session or the other token page does not open.
    private static func key(sessionid: String, path: String) -> SymmetricKey {
        SessionSecrets.key(sessionid, for: "one-time token value " + path)
    }
}
