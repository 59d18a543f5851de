import Foundation
import Hummingbird

/// An Administration page for Super admins (Users, User roles, User groups): a list with mass delete
/// and one form to create or edit an object. Conformers only translate between forms and their
/// service, which holds every rule; this extension holds the routes, the permission gate and delete.
protocol AdminPage: Sendable {
    /// The object form's posted fields.
    associatedtype Form: PostedForm
    var web: WebSession { get }
    /// Where the list lives (`/users`); the other routes hang below it.
    var base: String { get }
    /// The menu entry to highlight, and the catalog key of the page title.
    var menu: String { get }
    var title: String { get }
    /// Catalog nouns of the delete messages: `("user", "users")` gives `user_deleted`, `cannot_delete_users`, ….
    var nouns: (one: String, many: String) { get }

    func allowed(_ viewer: Viewer) -> Bool
    /// The list, sorted and paged as the viewer's `query` and profile say.
    func list(_ viewer: Viewer, _ call: CallContext, query: ListQuery, flash: Flash?) async throws -> Response
    /// The form for a new object (`id` nil) or a stored one; throws `WebFailure.notFound` for an unknown id.
    func form(_ viewer: Viewer, _ call: CallContext, id: String?) async throws -> Response
    /// Creates (`id` nil) or updates from a posted form: a redirect to the list, or the form again with
    /// the posted values and what went wrong.
    func save(_ viewer: Viewer, _ call: CallContext, _ form: Form, id: String?, secure: Bool) async throws -> Response
    func delete(_ call: CallContext, _ ids: JSON) async throws
}

extension AdminPage {
    var services: Services { web.services }

    func addRoutes(to router: some RouterMethods<AppRequestContext>) {
        func path(_ suffix: String) -> RouterPath { RouterPath(stringLiteral: base + suffix) }
        router.get(path("")) { request, context in
            let viewer = try await self.viewer(request)
            return try await self.list(viewer, self.call(viewer, context), query: request.listQuery(), flash: WebSession.flash(request))
        }
        router.get(path("/new")) { request, context in
            let viewer = try await self.viewer(request)
            return try await self.form(viewer, self.call(viewer, context), id: nil)
        }
        router.get(path("/:id/edit")) { request, context in
            let viewer = try await self.viewer(request)
            return try await self.form(viewer, self.call(viewer, context), id: try Self.id(context))
        }
        router.post(path("/create")) { request, context in
            try await self.post(request, context, id: nil)
        }
        router.post(path("/:id/update")) { request, context in
            try await self.post(request, context, id: try Self.id(context))
        }
        router.post(path("/delete")) { request, context in
            try await self.massDelete(request, context)
        }
    }

    /// A full page of this section.
    func page(_ template: String, _ viewer: Viewer, _ views: Any..., flash: Flash? = nil) -> Response {
        web.renderer.page(template, title: viewer.t(title), viewer: viewer, strings: viewer.strings, views: views, flash: flash, active: menu)
    }

    /// One page of the list's rows with its headers, page links and summary, sorted and paged as the
    /// query says or the profile remembers.
    func table<Row>(
        _ rows: [Row],
        _ layout: ListTable<Row>.Layout,
        _ viewer: Viewer,
        _ call: CallContext,
        query: ListQuery
    ) async throws
        -> ListTable<Row>
    {
        let stored = try await services.profiles.apply(
            try layout.profileChanges(query, viewer: viewer),
            prefix: layout.profilePrefix,
            remember: query.remembered,
            by: call
        )
        return ListTable(
            rows,
            layout,
            stored: stored,
            limit: max(1, viewer.settings.int("search_limit")),
            perPage: viewer.rowsPerPage,
            viewer: viewer
        )
    }

    /// The list page with its table.
    func listPage<Row>(_ template: String, _ viewer: Viewer, _ table: ListTable<Row>, flash: Flash?) -> Response {
        page(template, viewer, table.view, AdminListView(rows: table.shown, zeroSelected: viewer.t("n_selected", "0")), flash: flash)
    }

    /// Back to the list with a success message.
    func done(_ title: String, secure: Bool) -> Response {
        Renderer.redirect(base, flash: Flash(ok: true, title: title), secure: secure)
    }

    /// A form number as the API takes it: an integer when it is one, else the text (for the service to refuse).
    static func number(_ text: String) -> JSON { Int(text).map { .int($0) } ?? .string(text) }

    // MARK: - Gate

    private func viewer(_ request: Request) async throws -> Viewer {
        let viewer = try await web.viewer(request)
        guard allowed(viewer) else { throw WebFailure.forbidden }
        return viewer
    }

    private func call(_ viewer: Viewer, _ context: AppRequestContext) -> CallContext { viewer.context(services, ip: context.clientIP) }

    /// The `:id` of the route, digits only (anything else names nothing: 404).
    private static func id(_ context: AppRequestContext) throws -> String {
        guard let id = context.parameters.get("id"), !id.isEmpty, id.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw WebFailure.notFound
        }
        return id
    }

    /// The viewer and body of a form post whose CSRF token matches.
    private func poster<Posted: PostedForm>(_ request: Request, _: Posted.Type) async throws -> (Viewer, Posted) {
        var request = request
        let form = try await request.form(Posted.self)
        let viewer = try await web.poster(request, form)
        guard allowed(viewer) else { throw WebFailure.forbidden }
        return (viewer, form)
    }

    private func post(_ request: Request, _ context: AppRequestContext, id: String?) async throws -> Response {
        let (viewer, form) = try await poster(request, Form.self)
        return try await save(viewer, call(viewer, context), form, id: id, secure: context.isSecure)
    }

    // MARK: - Delete

    /// Deletes the posted `ids[]` and goes back to the list with the outcome.
    private func massDelete(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (viewer, form) = try await poster(request, SelectionForm.self)
        let ids = digitsOnly(form.ids)
        let noun = ids.count == 1 ? nouns.one : nouns.many
        let flash: Flash
        do {
            try await delete(call(viewer, context), .array(ids.map { .string($0) }))
            flash = Flash(ok: true, title: "\(noun)_deleted")
        } catch let error as APIError {
            flash = Flash(ok: false, title: "cannot_delete_\(noun)", details: [error.message])
        }
        return Renderer.redirect(base, flash: flash, secure: context.isSecure)
    }
}

/// The rows of an administration list page and its "0 selected" counter.
private struct AdminListView<Row> {
    let rows: [Row]
    let zeroSelected: String
}
