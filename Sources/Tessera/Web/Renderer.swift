import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Mustache

/// A message box shown at the top of a page: a title and the details under it.
struct Flash: Sendable {
    var ok: Bool
    var title: String
    var details: [String] = []

    init(ok: Bool, title: String, details: [String] = []) {
        self.ok = ok
        self.title = title
        self.details = details
    }

    /// Carried across one redirect in a short-lived cookie (titles and API messages, never secrets):
    /// base64 JSON of the fields and `mac`, an HMAC of them keyed by the session the message was made
    /// in. Only this server, for this session, can make one, so a planted cookie cannot show its own
    /// text in the UI; any instance can check it, since every instance knows the session.
    func cookieValue(signedFor sessionid: String) -> String {
        var signed = fields
        signed["mac"] = .string(Self.mac(fields, sessionid: sessionid))
        return Self.encode(signed)
    }

    /// The message of a cookie made by `cookieValue(signedFor:)` for `sessionid`; nil for anything else.
    init?(cookieValue: String, sessionid: String) {
        guard let flash = Flash(cookieValue: cookieValue), let json = Self.decode(cookieValue), let mac = json["mac"]?.stringValue,
            Secrets.constantTimeEquals(mac, Self.mac(flash.fields, sessionid: sessionid))
        else { return nil }
        self = flash
    }

    /// The message of a flash cookie, its signature unchecked (pages read cookies with `init(cookieValue:sessionid:)`).
    init?(cookieValue: String) {
        guard let json = Self.decode(cookieValue), case .bool(let ok)? = json["ok"], let title = json["title"]?.stringValue else { return nil }
        self.init(ok: ok, title: title, details: json["details"]?.arrayValue?.compactMap(\.stringValue) ?? [])
    }

    private var fields: JSONObject {
        ["ok": .bool(ok), "title": .string(title), "details": .array(details.map { .string($0) })]
    }

    /// Signed over the canonical encoding of the fields, whatever encoding the cookie carried them in.
    private static func mac(_ fields: JSONObject, sessionid: String) -> String {
        Secrets.hex(HMAC<SHA256>.authenticationCode(for: Array(encode(fields).utf8), using: SessionSecrets.key(sessionid, for: "flash")))
    }

    private static func encode(_ fields: JSONObject) -> String {
        SessionSecrets.cookieText(Array(JSON.object(fields).encoded().utf8))
    }

    private static func decode(_ cookieValue: String) -> JSON? {
        guard let data = SessionSecrets.bytes(ofCookieText: cookieValue), let json = try? JSONParser.parse(Array(data)), case .object = json else {
            return nil
        }
        return json
    }
}

/// Renders pages from the Mustache templates with the layout, the menu and the catalog texts.
struct Renderer: Sendable {
    let library: MustacheLibrary
    let catalog: Catalog

    static func load() async throws -> Renderer {
        guard let folder = Bundle.module.url(forResource: "templates", withExtension: nil) else {
            throw ConfigurationError("UI templates are missing from the bundle")
        }
        return Renderer(library: try await MustacheLibrary(directory: folder.path), catalog: try Catalog.load())
    }

    static let securityHeaders: HTTPFields = [
        .contentType: "text/html; charset=utf-8",
        .cacheControl: "no-store",
        HTTPField.Name("Content-Security-Policy")!:
            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        .contentTypeOptions: "nosniff",
        HTTPField.Name("Referrer-Policy")!: "same-origin",
    ]

    /// A full page for a signed-in viewer (or the sign-in page when `viewer` is nil). `views` are what
    /// the template shows besides the frame, the page's own view last (see `LayeredContext`).
    func page(
        _ template: String,
        title: String,
        viewer: Viewer?,
        strings: [String: String],
        views: [Any] = [],
        flash: Flash? = nil,
        active: String? = nil,
        status: HTTPResponse.Status = .ok
    ) -> Response {
        let frame = PageFrame(
            t: strings,
            title: title,
            lang: strings["language_name"] == "Nederlands" ? "nl" : "en",
            signedIn: viewer != nil,
            csrf: viewer?.csrf ?? "",
            whoami: viewer?.displayName ?? "",
            menu: viewer.map { Self.menu($0, active: active) } ?? [],
            message: flash.map { MessageView($0, strings: strings) }
        )
        let html = library.render(LayeredContext(layers: [frame] + views), withTemplate: template) ?? "template \(template) failed"
        var headers = Self.securityHeaders
        if flash != nil {
            headers[.setCookie] = WebSession.clearedFlashCookie
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// The menu: the administration pages the viewer's role opens, then the viewer's own settings.
    static func menu(_ viewer: Viewer, active: String?) -> [MenuSection] {
        let permissions = viewer.permissions
        func item(_ id: String, _ href: String, _ label: String) -> MenuItem {
            MenuItem(id: id, href: href, label: viewer.t(label), active: id == active)
        }
        var administration: [MenuItem] = []
        if permissions.mayAdministerTokens { administration.append(item("tokens", "/tokens", "menu_api_tokens")) }
        if permissions.mayAdministerUsers { administration.append(item("users", "/users", "menu_users")) }
        if permissions.mayAdministerRoles { administration.append(item("roles", "/roles", "menu_user_roles")) }
        if permissions.mayAdministerGroups { administration.append(item("usergroups", "/usergroups", "menu_user_groups")) }
        if permissions.mayAdministerGeneral { administration.append(item("general", "/administration/general", "menu_general")) }
        if permissions.mayAdministerAuthentication {
            administration.append(item("authentication", "/administration/authentication", "menu_authentication"))
        }
        var settings = [item("profile", "/user/profile", "menu_profile")]
        if permissions.mayUseOwnTokenPages { settings.append(item("my-tokens", "/user/tokens", "menu_my_tokens")) }
        let sections = [
            MenuSection(label: viewer.t("menu_administration"), items: administration),
            MenuSection(label: viewer.t("menu_user_settings"), items: settings),
        ]
        return sections.filter { !$0.items.isEmpty }
    }

    /// The access-denied, not-found and similar pages.
    func failure(_ failure: WebFailure, viewer: Viewer?, strings: [String: String]) -> Response {
        switch failure {
        case .signIn: return Response(status: .seeOther, headers: [.location: "/login"])
        case .forbidden: return errorPage("access_denied", "access_denied_text", status: .forbidden, viewer: viewer, strings: strings)
        case .notFound: return errorPage("not_found", "not_found_text", status: .notFound, viewer: viewer, strings: strings)
        case .badCSRF: return errorPage("bad_request", "csrf_failed", status: .forbidden, viewer: viewer, strings: strings)
        case .badRequest: return errorPage("bad_request", "form_malformed", status: .badRequest, viewer: viewer, strings: strings)
        case .tooLarge: return errorPage("bad_request", "form_too_large", status: .contentTooLarge, viewer: viewer, strings: strings)
        case .invalid(let message): return errorPage("bad_request", text: message, status: .badRequest, viewer: viewer, strings: strings)
        }
    }

    /// An error page: the catalog texts of its heading (also its title) and its explanation.
    func errorPage(_ heading: String, _ text: String, status: HTTPResponse.Status, viewer: Viewer?, strings: [String: String]) -> Response {
        errorPage(heading, text: strings[text] ?? "", status: status, viewer: viewer, strings: strings)
    }

    /// An error page with its explanation as given (a validation message, already translated).
    private func errorPage(_ heading: String, text: String, status: HTTPResponse.Status, viewer: Viewer?, strings: [String: String]) -> Response {
        page(
            "error",
            title: strings[heading] ?? "",
            viewer: viewer,
            strings: strings,
            views: [ErrorView(heading: strings[heading] ?? "", text: text)],
            status: status
        )
    }

    private struct ErrorView {
        let heading: String
        let text: String
    }

    /// A 303 redirect that carries a message to the next page.
    static func redirect(_ location: String, flash: Flash? = nil, secure: Bool = false) -> Response {
        var headers: HTTPFields = [.location: location]
        if let flash, let cookie = WebSession.flashCookie(flash, secure: secure) { headers[.setCookie] = cookie }
        return Response(status: .seeOther, headers: headers)
    }
}

extension HTTPField.Name {
    static let contentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
}
