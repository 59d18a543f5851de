import Foundation

/// UI texts by language, loaded once from `Resources/i18n/*.json` (English is the fallback for a missing key).
struct Catalog: Sendable {
    let languages: [String: [String: String]]

    static func load() throws -> Catalog {
        guard let folder = Bundle.module.url(forResource: "i18n", withExtension: nil) else {
            throw ConfigurationError("UI catalogs are missing from the bundle")
        }
        var languages: [String: [String: String]] = [:]
        for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) where file.hasSuffix(".json") {
            let data = try Data(contentsOf: folder.appendingPathComponent(file))
            let json = try JSONParser.parse(Array(data))
            var strings: [String: String] = [:]
            for (key, value) in json.objectValue?.pairs ?? [] { strings[key] = value.stringValue }
            languages[String(file.dropLast(5))] = strings
        }
        let english = languages["en"] ?? [:]
        for (code, strings) in languages where code != "en" {
            languages[code] = english.merging(strings) { _, translated in translated }
        }
        return Catalog(languages: languages)
    }

    /// The catalog code for a user's `lang` ("nl_NL" → "nl"; "default" follows the system default).
    static func code(for lang: String, default defaultLang: String) -> String {
        let effective = lang == "default" ? defaultLang : lang
        return effective.hasPrefix("nl") ? "nl" : "en"
    }

    func strings(_ code: String) -> [String: String] { languages[code] ?? languages["en"] ?? [:] }
}
