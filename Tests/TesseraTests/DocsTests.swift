import Foundation
import Testing

@testable import Tessera

/// The API reference cannot drift from the code: docs/api.md has one `### service.method` section
/// for each method the endpoint dispatches, and none for a method it does not have.
@Suite("documentation")
struct DocsTests {
    @Test
    func apiReferenceListsEveryMethod() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("docs/api.md"), encoding: .utf8)
        let documented = Set(text.split(separator: "\n").filter { $0.hasPrefix("### ") }.map { $0.dropFirst(4).lowercased() })
        try await Harness.with(.sqlite) { (h: Harness) async throws in
            let table = MethodTable.build(h.services)
            let offered = Set(table.services.flatMap { service, methods in methods.keys.map { "\(service).\($0)" } })
            #expect(documented == offered)
        }
    }
}
