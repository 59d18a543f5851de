import Crypto
import Foundation

/// What the web UI derives from a browser's session id, which only its HttpOnly cookie and the server
/// know: one key per purpose (the CSRF token, the flash message's signature, the one-time value's
/// seal), so every instance can make and check them and nothing made for another session passes; and
/// the text that carries bytes in a cookie.
enum SessionSecrets {
    /// HMAC-SHA256 of `purpose` keyed by the session id.
    static func key(_ sessionid: String, for purpose: String) -> SymmetricKey {
        SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array(purpose.utf8), using: SymmetricKey(data: Array(sessionid.utf8))))
    }

    /// Bytes as a cookie value: base64url without padding.
    static func cookieText(_ bytes: some DataProtocol) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The bytes of a cookie value made by `cookieText`; nil for anything else.
    static func bytes(ofCookieText text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
