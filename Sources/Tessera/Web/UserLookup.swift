import Foundation
import Hummingbird

/// `GET /ui/users?search=…`: the users a signed-in viewer may see whose username, name or surname
/// contains the text, for the user pickers (JSON `[{"userid","label"}]`, at most 20).
struct UserLookup: Sendable {
    let web: WebSession

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("ui/users") { request, context in
            guard let viewer = try? await web.viewer(request) else { return Response(status: .unauthorized) }
            let text = request.query["search"] ?? ""
            var params: JSONObject = ["output": ["userid", "username", "name", "surname"], "sortfield": "username", "limit": 20]
            if !text.isEmpty {
                params["search"] = ["username": .string(text), "name": .string(text), "surname": .string(text)]
                params["searchByAny"] = true
            }
            let users = try await web.services.users.get(viewer.context(web.services, ip: context.clientIP), .object(params))
            let list = (users.arrayValue ?? []).map { user -> JSON in
                let label = UserAccount.fullName(
                    user["username"]?.stringValue ?? "",
                    user["name"]?.stringValue ?? "",
                    user["surname"]?.stringValue ?? ""
                )
                return ["userid": user["userid"] ?? "0", "label": .string(label)]
            }
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
