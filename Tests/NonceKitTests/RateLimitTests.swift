import Foundation
import NonceKit
import NonceKitTesting
import NonceBackend
import NonceSQLite
import NonceTestSupport
import Synchronization
import Testing

@Suite("Rate limiting and burst protection")
struct RateLimitTests {
    /// Runs `body` on a thread of its own; `done` turns true when it returns.
    final class Background: Sendable {
        let done = Atomic<Bool>(false)
        let result = Mutex<UInt64?>(nil)
        init(_ body: @escaping @Sendable () throws -> UInt64) {
            Thread { [self] in
                let value = try? body()
                result.withLock { $0 = value }
                done.store(true, ordering: .sequentiallyConsistent)
            }.start()
        }
        var isDone: Bool { done.load(ordering: .sequentiallyConsistent) }

        /// Waits (in real time) for the body to return; false if it did not within `limit`.
        func finishes(within limit: Duration = .seconds(10)) -> Bool {
            let deadline = ContinuousClock.now + limit
            while !isDone && ContinuousClock.now < deadline { usleep(1_000) }
            return isDone
        }
    }

    /// Waits until someone sleeps on `clock` (the limited call has started waiting).
    static func waitForSleeper(_ clock: ManualClock) -> Bool {
        let deadline = ContinuousClock.now + .seconds(10)
        while clock.sleepers == 0 && ContinuousClock.now < deadline { usleep(1_000) }
        return clock.sleepers > 0
    }

    @Test("a Starter burst of 15 passes; the 16th waits exactly 1/0.33 s of clock time; others keep issuing meanwhile")
    func starterTier() throws {
        let directory = try TemporaryDirectory()
        let clock = ManualClock()
        let manager = try NonceManager(path: directory.database, configuration: .init(protection: .init(rateLimit: .starter), timing: .init(clock: clock)))
        defer { try? manager.close() }
        for _ in 0..<15 { _ = try manager.next() }
        #expect(clock.sleepers == 0)
        let limited = Background { try manager.next() }
        #expect(Self.waitForSleeper(clock))
        // While it waits, other callers are not held up by any lock.
        for _ in 0..<1_000 { _ = try manager.next(applyRateLimiting: false) }
        #expect(!limited.isDone)
        // 1 / 0.33 s = 3.0303... s: a hair less is not enough, the rest is.
        clock.advance(by: .milliseconds(3_030))
        // Woken by the move, it finds its time not yet come and sleeps on.
        #expect(!limited.isDone)
        #expect(clock.sleepers == 1)
        clock.advance(by: .milliseconds(1))
        #expect(limited.finishes())
        #expect(limited.result.withLock { $0 } != nil)
    }

    @Test("ledger and trade-history calls cost 2")
    func costTwo() throws {
        let directory = try TemporaryDirectory()
        let clock = ManualClock()
        let manager = try NonceManager(path: directory.database, configuration: .init(protection: .init(rateLimit: .pro), timing: .init(clock: clock)))
        defer { try? manager.close() }
        for _ in 0..<10 { _ = try manager.next(cost: CallCost.history) }
        let limited = Background { try manager.next(cost: CallCost.history) }
        #expect(Self.waitForSleeper(clock))
        clock.advance(by: .seconds(2))  // Pro decays 1 per second: 2 s makes room for a cost of 2.
        #expect(limited.finishes())
    }

    @Test("the counter lives in the database: a second manager (or process) on the stream sees it")
    func sharedCounter() throws {
        let directory = try TemporaryDirectory()
        let clock = ManualClock()
        let configuration = NonceManager.Configuration(stream: "k", mode: .shared, protection: .init(rateLimit: .intermediate), timing: .init(clock: clock))
        let first = try NonceManager(path: directory.database, configuration: configuration)
        let second = try NonceManager(path: directory.database, configuration: configuration)
        defer { try? first.close(); try? second.close() }
        for _ in 0..<20 { _ = try first.next() }
        let limited = Background { try second.next() }
        #expect(Self.waitForSleeper(clock))
        clock.advance(by: .seconds(2))  // 0.5 per second
        #expect(limited.finishes())
        let level = try SQLiteStore(path: directory.database).withConnection { connection in
            try connection.prepare("SELECT rate_counter FROM stream_state WHERE stream = 'k'").rows { $0.double(at: 0) }.first
        }
        #expect(level.map { abs($0 - 20) < 1e-6 } == true)
    }

    @Test("startup burst protection limits only its window; applyRateLimiting: false skips it")
    func burstProtection() throws {
        let directory = try TemporaryDirectory()
        let clock = ManualClock()
        let manager = try NonceManager(path: directory.database, configuration: .init(protection: .init(burstProtection: .startup), timing: .init(clock: clock)))
        defer { try? manager.close() }
        for _ in 0..<3 { _ = try manager.next() }
        for _ in 0..<100 { _ = try manager.getNonce(applyRateLimiting: false) }
        let limited = Background { try manager.next() }
        #expect(Self.waitForSleeper(clock))
        clock.advance(by: .seconds(1))
        #expect(limited.finishes())
        // After the window, no limit at all.
        clock.advance(by: .seconds(30))
        for _ in 0..<100 { _ = try manager.next() }
        #expect(clock.sleepers == 0)
    }

    @Test("async callers wait by suspending, and a cost above the maximum is refused")
    func asyncAndInvalid() async throws {
        let directory = try TemporaryDirectory()
        let clock = ManualClock()
        let manager = try NonceManager(path: directory.database, configuration: .init(protection: .init(rateLimit: .starter), timing: .init(clock: clock)))
        defer { try? manager.close() }
        for _ in 0..<15 { try await manager.waitForRateLimit() }
        let waiter = Task { try await manager.withAPILock { nonce async in nonce } }
        while clock.sleepers == 0 { try await Task.sleep(for: .milliseconds(1)) }
        clock.advance(by: .seconds(4))
        #expect(try await waiter.value > 0)
        #expect(throws: NonceStoreError.self) { try manager.next(cost: 16) }
    }
}
