import Foundation
import NonceKit
import NonceKitTesting
import NonceBackend
import NonceSQLite
import NonceTestSupport
import Testing

/// A wrong clock is recorded where `nonce stats` and `nonce_events` show it, not only logged.
@Suite("Clocks behind the stream")
struct ClockBehindTests {
    static let day = Duration.seconds(86_400)

    @Test("a process starting with its clock a day behind the recorded clock counts and records a clock regression",
          arguments: [StreamMode.exclusive, .shared])
    func startsBehind(mode: StreamMode) throws {
        let directory = try TemporaryDirectory()
        let first = try NonceManager(path: directory.database, configuration: .init(stream: "k", mode: mode))
        let last = try first.next()
        try first.close()

        let behind = ManualClock(nanoseconds: SystemClock().now() - Self.day.wholeNanoseconds)
        let second = try NonceManager(path: directory.database, configuration: .init(stream: "k", mode: mode, timing: .init(clock: behind)))
        defer { try? second.close() }
        #expect(try second.next() > last, "issuing stays above the floor")
        #expect(second.stats().clockRegressions == 1)
        let events = try SQLiteStore(path: directory.database).events(stream: "k", limit: 10)
        #expect(events.contains { $0.kind == "clock_regression" && $0.detail.contains("started with its clock") }, "\(events)")
    }

    @Test("a clock within the lease of the recorded one is not a regression")
    func smallDifferenceIgnored() throws {
        let directory = try TemporaryDirectory()
        try NonceManager(path: directory.database).close()
        let slightlyBehind = ManualClock(nanoseconds: SystemClock().now() - Duration.milliseconds(100).wholeNanoseconds)
        let manager = try NonceManager(path: directory.database, configuration: .init(timing: .init(leaseSpan: .seconds(1), clock: slightlyBehind)))
        defer { try? manager.close() }
        #expect(manager.stats().clockRegressions == 0)
    }

    @Test("on a shared stream a step back is recorded as an event, as well as counted")
    func sharedStepBack() throws {
        let directory = try TemporaryDirectory()
        let clock = ManualClock()
        let manager = try NonceManager(path: directory.database, configuration: .init(stream: "s", mode: .shared, timing: .init(clock: clock)))
        defer { try? manager.close() }
        let before = try manager.next()
        clock.advance(by: .seconds(-5))
        #expect(try manager.next() > before)
        let store = try SQLiteStore(path: directory.database)
        #expect(try store.stream(named: "s")?.clockRegressions == 1)
        let events = try store.events(stream: "s", limit: 10)
        #expect(events.contains { $0.kind == "clock_regression" && $0.detail.contains("5000000000 ns") }, "\(events)")
    }
}
