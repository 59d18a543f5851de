import Foundation
import Hummingbird

/// `GET /ui/users?search=…`: the users a signed-in viewer may see whose username, name or surname
/// contains the text, for the user pickers (JSON `[{"userid","label"}]`, at most 20). With
/// `for=owners` (a token form's owner) the guest is left out while it cannot use a token: it is in
/// a disabled group or its role has no API access, as the default guest.
struct UserLookup: Sendable {
    let web: WebSession

    struct Search: Decodable {
        var search: String?
        var `for`: String?
    }

    func addRoutes(to router: some RouterMethods<AppRequestContext>) {
        router.get("ui/users") { request, context in
            guard let viewer = try? await web.viewer(request) else { return Response(status: .unauthorized) }
            guard let query = try? request.query(Search.self) else { return Response(status: .badRequest) }
            let filter = UserFilter(search: query.search, order: .username, limit: 20)
            let call = viewer.context(web.services, ip: context.clientIP)
            var users = try await web.services.users.records(filter, by: call)
            if query.for == "owners", let guest = users.firstIndex(where: { $0.names.username == "guest" }),
                try await !usesTokens(users[guest], call)
            {
                users.remove(at: guest)
            }
            let list = users.map { user -> JSON in ["userid": .string(user.id.description), "label": .string(user.names.fullName)] }
            // `<` and `>` only occur inside strings: escaped, the JSON cannot be read as markup.
            let json = JSON.array(list).encoded().replacingOccurrences(of: "<", with: "\\u003c").replacingOccurrences(of: ">", with: "\\u003e")
            return Response(
                status: .ok,
                headers: [.contentType: "application/json", .cacheControl: "no-store", .contentTypeOptions: "nosniff"],
                body: .init(byteBuffer: ByteBuffer(string: json))
            )
        }
    }

    /// Whether a token of `user` could authenticate: not disabled, and a role with API access.
    private func usesTokens(_ user: UserRecord, _ call: CallContext) async throws -> Bool {
        guard !user.isDisabled, let role = user.role else { return false }
        let listing = try await web.services.roles.roles(RoleQuery(ids: [role], withRules: true), by: call).first
        return listing?.rules?.apiAccess ?? false
    }
}
