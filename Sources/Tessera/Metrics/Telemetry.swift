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
    /// The metrics of each method's calls, found with one lock and one lookup per call.
    private struct CallMetrics {
        let duration: CoreMetrics.Timer
        var outcomes: [String: CoreMetrics.Counter] = [:]
    }

    private let callMetrics = NIOLockedValueBox<[String: CallMetrics]>([:])
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
        let (count, timer) = callMetrics.withLockedValue { known -> (CoreMetrics.Counter, CoreMetrics.Timer) in
            if let metrics = known[method], let count = metrics.outcomes[outcome] { return (count, metrics.duration) }
            var metrics = known[method] ?? CallMetrics(
                duration: CoreMetrics.Timer(label: "tessera_request_duration_seconds", dimensions: [("method", method)], factory: factory))
            let count = CoreMetrics.Counter(label: "tessera_requests_total", dimensions: [("method", method), ("outcome", outcome)], factory: factory)
            metrics.outcomes[outcome] = count
            known[method] = metrics
            return (count, metrics.duration)
        }
        count.increment()
        timer.recordNanoseconds(duration.nanoseconds)
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

    /// The counter of `label` and `dimensions` made before, or a new one kept for next time.
    private func counter(_ label: String, _ dimensions: [(String, String)]) -> CoreMetrics.Counter {
        let key = Key(label: label, first: dimensions.first?.1 ?? "", second: dimensions.count > 1 ? dimensions[1].1 : "")
        return counters.withLockedValue { counters in
            if let counter = counters[key] { return counter }
            let counter = CoreMetrics.Counter(label: label, dimensions: dimensions, factory: factory)
            counters[key] = counter
            return counter
        }
    }
}

extension Duration {
    var nanoseconds: Int64 { components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000 }
}
