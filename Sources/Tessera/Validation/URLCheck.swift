/// URLs users may store (the user's home page): relative, or with a scheme from Zabbix's accepted list.
enum URLCheck {
    static let schemes: Set<String> = ["http", "https", "ftp", "file", "mailto", "tel", "ssh"]

    static func isAcceptable(_ text: String) -> Bool {
        if text.isEmpty { return true }
        if text.unicodeScalars.contains(where: { $0.value < 0x20 || $0 == " " }) { return false }
        guard let colon = text.firstIndex(of: ":") else { return true }
        let scheme = text[..<colon]
        // A colon after a path, query or fragment character is not a scheme separator.
        if scheme.contains(where: { "/?#".contains($0) }) { return true }
        return schemes.contains(scheme.lowercased())
    }
}
