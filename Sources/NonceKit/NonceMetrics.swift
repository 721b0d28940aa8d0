import Metrics
import NonceBackend

/// The manager's figures, emitted through swift-metrics with a `stream` dimension, so that
/// whatever backend the application bootstrapped receives them. The library never
/// bootstraps a metrics system: without one, these go to swift-metrics' no-op handler.
///
/// Names (Prometheus style): `noncestore_issued_total`, `noncestore_rejections_total`,
/// `noncestore_jumps_total`, `noncestore_mark_renewals_total`,
/// `noncestore_clock_regressions_total`, `noncestore_rate_limit_waits_total` (counters);
/// `noncestore_rate_limit_wait_seconds`, `noncestore_issue_seconds` (timers); and
/// `noncestore_lead_seconds` (gauge: the last nonce's lead over the wall clock).
struct NonceMetrics: Sendable {
    let issued: Counter
    let rejections: Counter
    let jumps: Counter
    let markRenewals: Counter
    let clockRegressions: Counter
    let limiterWaits: Counter
    let limiterWaitTime: Timer
    /// Exclusive streams: calls that had to wait for a durable mark (the slow path); shared
    /// streams: every call, since each is a durable transaction.
    let issueLatency: Timer
    let lead: Gauge

    init(stream: String) {
        let dimensions = [("stream", stream)]
        issued = Counter(label: "noncestore_issued_total", dimensions: dimensions)
        rejections = Counter(label: "noncestore_rejections_total", dimensions: dimensions)
        jumps = Counter(label: "noncestore_jumps_total", dimensions: dimensions)
        markRenewals = Counter(label: "noncestore_mark_renewals_total", dimensions: dimensions)
        clockRegressions = Counter(label: "noncestore_clock_regressions_total", dimensions: dimensions)
        limiterWaits = Counter(label: "noncestore_rate_limit_waits_total", dimensions: dimensions)
        limiterWaitTime = Timer(label: "noncestore_rate_limit_wait_seconds", dimensions: dimensions)
        issueLatency = Timer(label: "noncestore_issue_seconds", dimensions: dimensions)
        lead = Gauge(label: "noncestore_lead_seconds", dimensions: dimensions)
    }

    func limiterWaited(_ duration: Duration) {
        limiterWaits.increment()
        limiterWaitTime.recordNanoseconds(duration.wholeNanoseconds)
    }

    /// The last nonce's lead over `now`, in seconds (negative: behind the clock).
    /// The lead of `last` (in `unit`) over the wall clock `now` (nanoseconds), in seconds.
    func recordLead(last: Int64, now: Int64, unit: NonceUnit) {
        guard last > 0 else { return }
        lead.record(Double(unit.duration(ofSteps: last - unit.steps(ofNanoseconds: now)).wholeNanoseconds) / 1e9)
    }
}
