import Crypto
import Foundation
import Hummingbird

/// The signed-in user of a web request, with what the pages need to know about them.
struct Viewer: Sendable {
    let account: UserAccount
    let principal: Principal
    let sessionid: String
    let strings: [String: String]
    let lang: String
    let dates: DateText
    let settings: Settings

    /// A per-session token that every state-changing form must send back. It is derived from the
    /// session id, which only the HttpOnly cookie carries, so another site cannot know it.
    var csrf: String { Viewer.csrf(for: sessionid) }

    static func csrf(for sessionid: String) -> String {
        SessionSecrets.key(sessionid, for: "csrf").withUnsafeBytes { Secrets.hex($0) }.prefix(32).description
    }

    var permissions: Permissions { principal.permissions }

    var rowsPerPage: Int { max(1, Int(account.rowsPerPage)) }

    /// `username (name surname)` as the lists show users.
    var displayName: String { account.names.fullName }

    func context(_ services: Services, ip: String) -> CallContext { services.context(for: principal, ip: ip) }

    func t(_ key: String, _ arguments: String...) -> String {
        var text = strings[key] ?? key
        for (index, argument) in arguments.enumerated() { text = text.replacingOccurrences(of: "%\(index + 1)$s", with: argument) }
        return text
    }
}

/// Why a web request cannot go on; each maps to a page or a redirect.
enum WebFailure: Error {
    case signIn
    case forbidden
    case notFound
    case badCSRF
    /// A form or query string that is not the page's form (a field given twice, a list where one value belongs).
    case badRequest
    /// A form body over `maxFormBody`.
    case tooLarge
    /// A query value the page refuses (a filter, sort or page out of range), with the message, translated.
    case invalid(String)
}
