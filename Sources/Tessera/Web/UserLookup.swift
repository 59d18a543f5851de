import Foundation
import Hummingbird

/// `GET /ui/users?search=…`: the users a signed-in viewer may see whose username, name or surname
/// contains the text, for the user pickers (JSON `[{"userid","label"}]`, at most 20).
struct UserLookup: Sendable {
    let web: WebSession

    struct Search: Decodable {
        var search: String?
    }

    func addRoutes(to router: some RouterMethods<AppRequestContext>) {
        router.get("ui/users") { request, context in
            guard let viewer = try? await web.viewer(request) else { return Response(status: .unauthorized) }
            guard let query = try? request.query(Search.self) else { return Response(status: .badRequest) }
            let filter = UserFilter(search: query.search, order: .username, limit: 20)
            let users = try await web.services.users.records(filter, by: viewer.context(web.services, ip: context.clientIP))
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
}
