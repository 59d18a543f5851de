import HTTPTypes
import Hummingbird

/// The New and Edit API token forms, and the page that shows a new value once.
struct TokenFormPage: Sendable {
    let pages: TokenPages
    var services: Services { pages.services }
    typealias Variant = TokenPages.Variant

    /// What the form shows: posted values when it comes back with errors, stored ones when editing.
    struct Values {
        var name = ""
        var userid = ""
        var userLabel = ""
        var description = ""
        var expiresState = true
        var expiresAt = ""
        var enabled = true
    }

    /// The form page: the values, and whether it is the admin form and a new or a stored token.
    struct FormView {
        let form: Values
        /// Whether the form names an owner yet.
        let hasUser: Bool
        let admin: Bool
        let editing: Bool
        let tokenid: String
        let base: String
        let action: String
    }

    /// The one-time view of a new value.
    struct ValueView {
        let name: String
        let user: String
        let token: String
        let admin: Bool
        let base: String
        let expiresAt: String
        let expired: Bool
        let description: String
        let enabled: Bool
    }

    /// The posted token form. `expires_state` and `status` are checkboxes: "1" (expires) and "0"
    /// (enabled) when ticked, absent otherwise; `regenerate` asks for a new value on update.
    struct Form: PostedForm {
        var csrf: String?
        var name: String?
        var userid: String?
        var description: String?
        var expiresState: String?
        var expiresAt: String?
        var status: String?
        var regenerate: String?

        enum CodingKeys: String, CodingKey {
            case csrf, name, userid, description, status, regenerate
            case expiresState = "expires_state"
            case expiresAt = "expires_at"
        }
    }

    /// The fields of a posted form that passed the form's own checks.
    struct Fields {
        var name: String
        var description: String
        var expiry: Expiry
        var status: TokenStatus
    }

    func new(_ request: Request, _ context: AppRequestContext, _ variant: Variant) async throws -> Response {
        let viewer = try await pages.viewer(request, variant)
        // A sensible default instead of an empty required date: four weeks from now.
        let values = Values(
            userid: viewer.principal.userid,
            userLabel: viewer.displayName,
            expiresAt: viewer.dates.format(services.clock.now + 28 * 86400)
        )
        return render(viewer, variant, values, tokenid: nil)
    }

    func edit(_ request: Request, _ context: AppRequestContext, _ variant: Variant) async throws -> Response {
        let viewer = try await pages.viewer(request, variant)
        let call = viewer.context(services, ip: context.clientIP)
        let token = try await self.token(context, variant, call)
        let values = Values(
            name: token.name,
            userid: token.owner.description,
            userLabel: try await ownerLabel(token.owner, variant, call),
            description: token.description,
            expiresState: token.expiry != .never,
            expiresAt: token.expiry == .never ? "" : viewer.dates.format(token.expiry.unixTime),
            enabled: token.status == .enabled
        )
        return render(viewer, variant, values, tokenid: token.id)
    }

    func create(_ request: Request, _ context: AppRequestContext, _ variant: Variant) async throws -> Response {
        var request = request
        let (viewer, form) = try await pages.poster(&request, variant, Form.self)
        let call = viewer.context(services, ip: context.clientIP)
        var (values, fields, errors) = read(form, viewer, variant, stored: nil, now: call.now)
        let owner = UserID(values.userid)
        if variant == .admin, let owner { values.userLabel = try await ownerLabel(owner, variant, call) }
        guard let fields else {
            return render(viewer, variant, values, tokenid: nil, flash: Flash(ok: false, title: "cannot_add_token", details: errors))
        }
        do {
            guard let owner else { throw APIError.params("User with ID \"\(values.userid)\" is not available.") }
            let draft = TokenDraft(
                name: fields.name,
                description: fields.description,
                owner: owner,
                status: fields.status,
                expiry: fields.expiry,
                given: [.name, .userid, .description, .expiresAt, .status]
            )
            let generated = try await services.tokens.createWithValue(draft, by: call)
            return try toValue(viewer, variant, values, expiry: fields.expiry, value: generated.value, title: "token_added", call, context)
        } catch let error as APIError {
            return render(viewer, variant, values, tokenid: nil, flash: Flash(ok: false, title: "cannot_add_token", details: [error.message]))
        }
    }

    func update(_ request: Request, _ context: AppRequestContext, _ variant: Variant) async throws -> Response {
        var request = request
        let (viewer, form) = try await pages.poster(&request, variant, Form.self)
        let call = viewer.context(services, ip: context.clientIP)
        let token = try await self.token(context, variant, call)
        var (values, fields, errors) = read(form, viewer, variant, stored: token, now: call.now)
        values.userid = token.owner.description
        values.userLabel = try await ownerLabel(token.owner, variant, call)
        guard let fields else {
            return render(viewer, variant, values, tokenid: token.id, flash: Flash(ok: false, title: "cannot_update_token", details: errors))
        }
        let change = TokenChange(
            id: token.id,
            name: fields.name,
            description: fields.description,
            status: fields.status,
            expiry: fields.expiry,
            given: [.name, .description, .expiresAt, .status]
        )
        do {
            try await services.tokens.update([change], by: call, onlyOwn: variant.onlyOwn)
            if form.regenerate == "1" {
                let generated = try await services.tokens.generate(token.id, by: call, onlyOwn: variant.onlyOwn)
                return try toValue(viewer, variant, values, expiry: fields.expiry, value: generated.value, title: "token_updated", call, context)
            }
            return Renderer.redirect(variant.base, flash: Flash(ok: true, title: "token_updated"), secure: context.isSecure)
        } catch let error as APIError {
            return render(viewer, variant, values, tokenid: token.id, flash: Flash(ok: false, title: "cannot_update_token", details: [error.message]))
        }
    }

    /// The token of the page's `:id`, if the viewer may edit it here (the own variant only ever shows the
    /// viewer's own); 404 otherwise, the same for a token that does not exist and one the viewer may
    /// not see, so the answer tells nothing about other users' tokens.
    private func token(_ context: AppRequestContext, _ variant: Variant, _ call: CallContext) async throws -> Token {
        guard let id = context.parameters.get("id").flatMap({ TokenID($0) }) else { throw WebFailure.notFound }
        let owners = variant.onlyOwn ? [call.principal.id] : nil
        guard let token = try await services.tokens.tokens(TokenQuery(ids: [id], owners: owners), by: call).first else {
            throw WebFailure.notFound
        }
        return token
    }

    /// How the admin form names a token's owner (the own form does not show it).
    private func ownerLabel(_ owner: UserID, _ variant: Variant, _ call: CallContext) async throws -> String {
        guard variant == .admin else { return "" }
        return try await services.users.displayNames(of: [owner], by: call)[owner] ?? owner.description
    }

    private func render(_ viewer: Viewer, _ variant: Variant, _ values: Values, tokenid: TokenID?, flash: Flash? = nil) -> Response {
        let view = FormView(
            form: values,
            hasUser: !values.userid.isEmpty,
            admin: variant == .admin,
            editing: tokenid != nil,
            tokenid: tokenid?.description ?? "",
            base: variant.base,
            action: tokenid.map { "\(variant.base)/\($0)/update" } ?? "\(variant.base)/create"
        )
        return pages.render("token_form", viewer, variant, view, flash: flash)
    }

    /// Answers the post that made a new value with a redirect to the page that shows it once (so
    /// reloading that page never posts again), the value sealed in a cookie only that page reads.
    private func toValue(
        _ viewer: Viewer,
        _ variant: Variant,
        _ values: Values,
        expiry: Expiry,
        value: String,
        title: String,
        _ call: CallContext,
        _ context: AppRequestContext
    ) throws -> Response {
        let once = OneTimeValue(
            title: title,
            name: values.name,
            user: values.userLabel,
            token: value,
            expiry: expiry.unixTime,
            description: values.description,
            enabled: values.enabled,
            sealedAt: call.now
        )
        let path = variant.valuePath
        var response = Renderer.redirect(path)
        let sealed = try once.sealed(sessionid: viewer.sessionid, path: path)
        response.headers[.setCookie] = Self.valueCookie(sealed, path: path, maxAge: Int(OneTimeValue.lifetime), secure: context.isSecure)
        return response
    }

    /// The one page that shows a token's value, with `no-store`: it deletes the cookie that carried the
    /// value as it shows it, so reloading or going back finds the list saying the value is gone.
    func showValue(_ request: Request, _ context: AppRequestContext, _ variant: Variant) async throws -> Response {
        let viewer = try await pages.viewer(request, variant)
        let path = variant.valuePath
        var response: Response
        if let cookie = request.cookies[OneTimeValue.cookie]?.value,
            let once = OneTimeValue.open(cookie, sessionid: viewer.sessionid, path: path, now: services.clock.now)
        {
            let expiry = Expiry(unixTime: once.expiry)
            let view = ValueView(
                name: once.name,
                user: once.user,
                token: once.token,
                admin: variant == .admin,
                base: variant.base,
                expiresAt: expiry == .never ? "-" : viewer.dates.format(once.expiry),
                expired: expiry.hasPassed(at: services.clock.now),
                description: once.description,
                enabled: once.enabled
            )
            response = pages.render("token_view", viewer, variant, view, flash: Flash(ok: true, title: once.title))
        } else {
            response = Renderer.redirect(variant.base, flash: Flash(ok: false, title: "token_value_gone"), secure: context.isSecure)
        }
        response.headers.append(HTTPField(name: .setCookie, value: Self.valueCookie("", path: path, maxAge: 0, secure: context.isSecure)))
        return response
    }

    private static func valueCookie(_ value: String, path: String, maxAge: Int, secure: Bool) -> String {
        Cookie(name: OneTimeValue.cookie, value: value, maxAge: maxAge, path: path, secure: secure, httpOnly: true, sameSite: .strict).description
    }

    /// Reads the posted form for a new token or the `stored` one; returns the values to show again and
    /// either the fields or the field errors. An expiry in the past is refused unless it is the stored
    /// one (renaming an expired token keeps its date), where Zabbix would make an expired token.
    private func read(_ form: Form, _ viewer: Viewer, _ variant: Variant, stored: Token?, now: Int64) -> (Values, Fields?, [String]) {
        let creating = stored == nil
        var values = Values()
        values.name = form.name ?? ""
        values.description = form.description ?? ""
        values.expiresState = form.expiresState == "1"
        values.expiresAt = form.expiresAt ?? ""
        values.enabled = form.status == "0"
        values.userid = variant == .own ? viewer.principal.userid : (form.userid ?? "")
        var errors: [String] = []
        if form.name == nil {
            errors.append(viewer.t("field_mandatory", "name"))
        } else if values.name.isEmpty {
            errors.append(viewer.t("field_cannot_be_empty", "name"))
        }
        if creating, values.userid.isEmpty { errors.append(viewer.t("field_mandatory", "userid")) }
        var expiry = Expiry.never
        if values.expiresState {
            if form.expiresAt == nil || values.expiresAt.isEmpty {
                errors.append(
                    values.expiresAt.isEmpty && form.expiresAt != nil
                        ? viewer.t("field_time_expected", "expires_at") : viewer.t("field_mandatory", "expires_at")
                )
            } else if let time = viewer.dates.parse(values.expiresAt) {
                expiry = .at(time)
                if time <= now, expiry != stored?.expiry { errors.append(viewer.t("field_time_in_past", "expires_at")) }
            } else {
                errors.append(viewer.t("field_time_expected", "expires_at"))
            }
        }
        let fields = Fields(name: values.name, description: values.description, expiry: expiry, status: values.enabled ? .enabled : .disabled)
        return (values, errors.isEmpty ? fields : nil, errors)
    }
}
