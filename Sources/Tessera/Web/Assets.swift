import Foundation
import HTTPTypes
import Hummingbird

/// The stylesheet and the script, read once from the bundle and served with long caching.
struct Assets: Sendable {
    let files: [String: (type: String, body: ByteBuffer)]

    static func load() throws -> Assets {
        guard let folder = Bundle.module.url(forResource: "static", withExtension: nil) else {
            throw ConfigurationError("UI assets are missing from the bundle")
        }
        var files: [String: (String, ByteBuffer)] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            let type = name.hasSuffix(".css") ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8"
            files[name] = (type, ByteBuffer(bytes: try Data(contentsOf: folder.appendingPathComponent(name))))
        }
        return Assets(files: files)
    }

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("static/:file") { _, context in
            guard let name = context.parameters.get("file"), let file = files[name] else { return Response(status: .notFound) }
            return Response(
                status: .ok,
                headers: [.contentType: file.type, .cacheControl: "public, max-age=3600", .contentTypeOptions: "nosniff"],
                body: .init(byteBuffer: file.body)
            )
        }
    }
}
