import HTTPTypes
import Hummingbird

extension Request {
    /// Whether the browser says this request comes from Tessera's own pages, or from the viewer typing
    /// the address or opening a bookmark. Browsers send `Sec-Fetch-Site`; older ones an `Origin` on
    /// posts, compared with the `Host` the request was sent to. A request with neither comes from no
    /// browser (a script, curl), which no other site can make on the viewer's behalf.
    var comesFromThisSite: Bool {
        if let site = headers[.secFetchSite] { return site == "same-origin" || site == "none" }
        guard let origin = headers[.origin] else { return true }
        let host = origin.split(separator: "://", maxSplits: 1).last.map(String.init)
        return host != nil && host == head.authority
    }
}

extension HTTPField.Name {
    static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!
}
