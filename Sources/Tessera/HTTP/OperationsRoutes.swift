import Hummingbird

/// `/healthz` (the process answers), `/readyz` (the database answers and is migrated) and `/metrics`
/// (Prometheus text format). The main port serves all three unless a metrics port is configured:
/// then `/metrics` is served there only, so that it stays on the listener the operator chose.
struct OperationsRoutes: Sendable {
    let services: Services
    /// Whether this listener serves `/metrics`.
    var servesMetrics = true
    /// The bearer token `/metrics` requires (`--metrics-token-file`); nil: none.
    var metricsToken: MetricsToken?

    func addRoutes(to router: Router<some RequestContext>) {
        router.get("healthz") { _, _ in "ok" }
        router.get("readyz") { _, _ -> Response in
            let ready = await services.database.isReady()
            return Response(
                status: ready ? .ok : .serviceUnavailable,
                headers: [.contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: ready ? "ready\n" : "database unavailable or not migrated\n"))
            )
        }
        guard servesMetrics else { return }
        router.get("metrics") { request, _ -> Response in
            if let metricsToken, !metricsToken.admits(request.headers[.authorization]) {
                return Response(
                    status: .unauthorized,
                    headers: [
                        .contentType: "text/plain; charset=utf-8", .cacheControl: "no-store",
                        .wwwAuthenticate: request.headers[.authorization] == nil ? "Bearer" : #"Bearer error="invalid_token""#,
                    ],
                    body: .init(byteBuffer: ByteBuffer(string: "a valid metrics token is required\n"))
                )
            }
            let text = services.telemetry.exposition(
                lastAccessPending: services.lastAccess.pendingCount,
                connectionsInUse: services.database.connectionsInUse
            )
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(string: text))
            )
        }
    }
}
