import CoreMetrics
import Foundation
import NIOConcurrencyHelpers
import Prometheus

/// What `/metrics` reports, in the Prometheus text format (swift-metrics over swift-prometheus, in a
/// registry of this server's own). Metric objects are made once per label set and kept: the calls
/// on the request path are a dictionary lookup and an atomic add.
public final class Telemetry: Sendable {
    /// Why a token or session did not authenticate (`tessera_authentications_total{reason}`).
    enum Refusal: String {
        case unknown, disabled, expired, ownerDisabled = "owner_disabled", session
    }

    private let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    /// A metric's name and label values (at most two labels here), hashed without building a string.
    private struct Key: Hashable {
        let label: String
        let first: String
        let second: String
    }

    private let counters = NIOLockedValueBox<[Key: CoreMetrics.Counter]>([:])
    private let timers = NIOLockedValueBox<[Key: CoreMetrics.Timer]>([:])
    private let cacheHits: CoreMetrics.Counter
    private let cacheMisses: CoreMetrics.Counter
    private let lastAccessPending: Prometheus.Gauge
    private let connectionsInUse: Prometheus.Gauge

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
            .seconds(5),
        ]
        self.factory = factory
        cacheHits = CoreMetrics.Counter(label: "tessera_token_cache_hits_total", factory: factory)
        cacheMisses = CoreMetrics.Counter(label: "tessera_token_cache_misses_total", factory: factory)
        lastAccessPending = registry.makeGauge(name: "tessera_lastaccess_pending", help: "lastaccess values not yet written")
        connectionsInUse = registry.makeGauge(name: "tessera_db_connections_in_use", help: "database connections in use")
    }

    /// One JSON-RPC call: its method (`unknown` for names the API does not have) and outcome (`ok`
    /// or the error code), and how long it took.
    func call(method: String, outcome: String, duration: Duration) {
        counter("tessera_requests_total", [("method", method), ("outcome", outcome)]).increment()
        timer("tessera_request_duration_seconds", [("method", method)]).recordNanoseconds(duration.nanoseconds)
    }

    func authenticated(_ kind: String) {
        counter("tessera_authentications_total", [("result", "ok"), ("reason", kind)]).increment()
    }

    func refused(_ reason: Refusal) {
        counter("tessera_authentications_total", [("result", "refused"), ("reason", reason.rawValue)]).increment()
    }

    func cacheLookup(hit: Bool) { (hit ? cacheHits : cacheMisses).increment() }

    /// The Prometheus text, with the gauges read at this moment.
    func exposition(lastAccessPending pending: Int, connectionsInUse inUse: Int) -> String {
        lastAccessPending.set(Double(pending))
        connectionsInUse.set(Double(inUse))
        return registry.emitToString()
    }

    private func counter(_ label: String, _ dimensions: [(String, String)]) -> CoreMetrics.Counter {
        Self.kept(in: counters, label, dimensions) { CoreMetrics.Counter(label: label, dimensions: dimensions, factory: factory) }
    }

    private func timer(_ label: String, _ dimensions: [(String, String)]) -> CoreMetrics.Timer {
        Self.kept(in: timers, label, dimensions) { CoreMetrics.Timer(label: label, dimensions: dimensions, factory: factory) }
    }

    /// The metric of `label` and `dimensions` made before, or a new one kept for next time.
    private static func kept<Metric>(
        in box: NIOLockedValueBox<[Key: Metric]>, _ label: String, _ dimensions: [(String, String)], make: () -> Metric
    ) -> Metric {
        let key = Key(label: label, first: dimensions.first?.1 ?? "", second: dimensions.count > 1 ? dimensions[1].1 : "")
        return box.withLockedValue { metrics in
            if let metric = metrics[key] { return metric }
            let metric = make()
            metrics[key] = metric
            return metric
        }
    }
}

extension Duration {
    var nanoseconds: Int64 { components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000 }
}
