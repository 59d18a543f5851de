import Hummingbird
import NIOCore

/// A form the web UI posts: decoded by Hummingbird's URL-encoded form decoder, with the session's CSRF
/// token in `csrf`. A checkbox that is not ticked is not posted, so every box is an optional whose
/// absence means "off"; repeated fields carry `[]` in their names (`ids[]`) and decode as arrays.
protocol PostedForm: Decodable, Sendable {
    var csrf: String? { get }
}

/// The largest form body a page accepts.
let maxFormBody = 1 << 20

extension Request {
    /// The body of a form post as `Form`: `WebFailure.tooLarge` past `maxFormBody`, `.badRequest` for a
    /// body that is not such a form (a field given twice, an array where one value belongs).
    mutating func form<Form: Decodable>(_: Form.Type) async throws -> Form {
        let buffer: ByteBuffer
        do {
            buffer = try await collectBody(upTo: maxFormBody)
        } catch is NIOTooManyBytesError {
            throw WebFailure.tooLarge
        }
        return try decodeForm(Form.self, String(buffer: buffer))
    }

    /// The query string as `Query`, refused like a bad form body.
    func query<Query: Decodable>(_: Query.Type) throws -> Query {
        try decodeForm(Query.self, uri.query ?? "")
    }

    private func decodeForm<Form: Decodable>(_: Form.Type, _ encoded: String) throws -> Form {
        do {
            return try URLEncodedFormDecoder().decode(Form.self, from: encoded)
        } catch {
            throw WebFailure.badRequest
        }
    }
}

/// Keeps the values that are ids (digits only) of a repeated field.
func digitsOnly(_ values: [String]?) -> [String] {
    (values ?? []).filter { !$0.isEmpty && $0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }
}

// MARK: - Forms shared by several pages

/// The selection of a list's mass action (`ids[]`), or of an edit form's Delete button.
struct SelectionForm: PostedForm {
    var csrf: String?
    var ids: [String]?
}

/// The sort column, order and page of a list (`?sort=name&sortorder=DESC&page=2`).
struct ListQuery: Decodable, Sendable {
    var sort: String?
    var sortorder: String?
    var page: String?
    /// Whether what the query changes is remembered: only when the request comes from this site, so
    /// a link on another site cannot change the viewer's saved lists (not part of the query string).
    var remembered = true

    enum CodingKeys: String, CodingKey {
        case sort, sortorder, page
    }
}

extension Request {
    /// The list query of a list page's GET, remembered only when it comes from this site.
    func listQuery() throws -> ListQuery {
        var list = try query(ListQuery.self)
        list.remembered = comesFromThisSite
        return list
    }
}

/// A form with nothing but its CSRF token (Sign out).
struct CSRFForm: PostedForm {
    var csrf: String?
}
