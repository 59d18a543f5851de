import CoreMetrics
import Foundation
import NIOConcurrencyHelpers
import Prometheus

/// What `/metrics` reports, in the Prometheus text format (swift-metrics over swift-prometheus, in a
/// registry of this server's own). Metric objects are made once per label set and kept: the calls
/// on the request path are a dictionary lookup and an atomic add.
final class Telemetry: Sendable {
    /// Why a token or session did not authenticate (`tessera_authentications_total{reason}`).
    enum Refusal: String, CaseIterable {
        case unknown, disabled, expired
        case ownerDisabled = "owner_disabled"
        case session
    }

    /// What a call authenticated with (`tessera_authentications_total{result="ok",reason}`).
    enum Authentication: String, CaseIterable {
        case token, session
    }

    private let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    /// The authentication counters, made up front: the request path only reads them.
    private let authenticatedCounters: [Authentication: CoreMetrics.Counter]
    private let refusedCounters: [Refusal: CoreMetrics.Counter]
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
        let label = "tessera_authentications_total"
        authenticatedCounters = Dictionary(
            uniqueKeysWithValues: Authentication.allCases.map { kind in
                (kind, CoreMetrics.Counter(label: label, dimensions: [("result", "ok"), ("reason", kind.rawValue)], factory: factory))
            }
        )
        refusedCounters = Dictionary(
            uniqueKeysWithValues: Refusal.allCases.map { reason in
                (reason, CoreMetrics.Counter(label: label, dimensions: [("result", "refused"), ("reason", reason.rawValue)], factory: factory))
            }
        )
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
            var metrics =
                known[method]
                ?? CallMetrics(
                    duration: CoreMetrics.Timer(label: "tessera_request_duration_seconds", dimensions: [("method", method)], factory: factory)
                )
            let count = CoreMetrics.Counter(
                label: "tessera_requests_total",
                dimensions: [("method", method), ("outcome", outcome)],
                factory: factory
            )
            metrics.outcomes[outcome] = count
            known[method] = metrics
            return (count, metrics.duration)
        }
        count.increment()
        timer.recordNanoseconds(duration.nanoseconds)
    }

    func authenticated(_ kind: Authentication) { authenticatedCounters[kind]?.increment() }

    func refused(_ reason: Refusal) { refusedCounters[reason]?.increment() }

    func cacheLookup(hit: Bool) { (hit ? cacheHits : cacheMisses).increment() }

    /// The Prometheus text, with the gauges read at this moment.
    func exposition(lastAccessPending pending: Int, connectionsInUse inUse: Int) -> String {
        lastAccessPending.set(Double(pending))
        connectionsInUse.set(Double(inUse))
        return registry.emitToString()
    }
}

extension Duration {
    var nanoseconds: Int64 { components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000 }
}
