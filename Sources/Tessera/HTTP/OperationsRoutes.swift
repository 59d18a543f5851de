import Hummingbird

/// `/healthz` (the process answers), `/readyz` (the database answers and is migrated) and `/metrics`
/// (Prometheus text format): on the main port, and on the metrics port when there is one.
struct OperationsRoutes: Sendable {
    let services: Services

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
        router.get("metrics") { _, _ -> Response in
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
