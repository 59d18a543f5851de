import HummingbirdTesting

@testable import Tessera

extension TestResponse {
    /// The message a redirect carries to the next page, if any.
    var flash: Flash? {
        guard let cookie = headers[.setCookie]?.split(separator: ";").first, cookie.hasPrefix("tessera_flash=") else { return nil }
        return Flash(cookieValue: String(cookie.dropFirst("tessera_flash=".count)))
    }
}
