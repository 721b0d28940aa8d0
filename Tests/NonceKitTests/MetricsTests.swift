import Foundation
import Metrics
import MetricsTestKit
import NonceKit
import NonceTestSupport
import Testing

/// One test metrics backend for this test process: swift-metrics is bootstrapped once.
/// Each test uses a stream name of its own and reads only that dimension.
let testMetrics: TestMetrics = {
    let metrics = TestMetrics()
    MetricsSystem.bootstrap(metrics)
    return metrics
}()

@Suite("Metrics")
struct MetricsTests {
    @Test("issued, jumps, rejections and renewals reach the backend, labelled by stream")
    func countersReachBackend() throws {
        let metrics = testMetrics
        let directory = try TemporaryDirectory()
        let stream = "metrics-\(UUID().uuidString.prefix(8))"
        let dimensions = [("stream", stream)]
        let manager = try NonceManager(path: directory.database, configuration: .init(stream: stream))
        for _ in 0..<500 { _ = try manager.next() }
        try manager.jump(by: .seconds(1))
        for _ in 0..<3 { try manager.recordRejection() }
        try manager.close()
        #expect(metrics.counterTotal(label: "noncestore_issued_total", dimensions: dimensions) == 500)
        #expect(metrics.counterTotal(label: "noncestore_jumps_total", dimensions: dimensions) == 2)
        #expect(metrics.counterTotal(label: "noncestore_rejections_total", dimensions: dimensions) == 3)
        #expect(metrics.counterTotal(label: "noncestore_mark_renewals_total", dimensions: dimensions) >= 1)
        #expect(try metrics.expectGauge("noncestore_lead_seconds", dimensions).lastValue ?? -1 > 0)
        // Nothing leaks into another stream's series.
        #expect(metrics.counterTotal(label: "noncestore_issued_total", dimensions: [("stream", stream + "-other")]) == 0)
    }

    @Test("shared streams time every issue; rate-limit waits are counted and timed")
    func timersAndWaits() throws {
        let metrics = testMetrics
        let directory = try TemporaryDirectory()
        let stream = "metrics-\(UUID().uuidString.prefix(8))"
        let dimensions = [("stream", stream)]
        let limit = RateLimit(maximum: 1, decayPerSecond: 20)
        let manager = try NonceManager(
            path: directory.database, configuration: .init(stream: stream, mode: .shared, protection: .init(rateLimit: limit)))
        defer { try? manager.close() }
        for _ in 0..<5 { _ = try manager.next() }
        #expect(try metrics.expectTimer("noncestore_issue_seconds", dimensions).values.count == 5)
        #expect(metrics.counterTotal(label: "noncestore_rate_limit_waits_total", dimensions: dimensions) >= 1)
        #expect(try metrics.expectTimer("noncestore_rate_limit_wait_seconds", dimensions).values.isEmpty == false)
    }
}
