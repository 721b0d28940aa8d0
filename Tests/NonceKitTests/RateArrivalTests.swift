import Foundation
import NonceKit
import NonceBackend
import NonceSQLite
import NonceTestSupport
import Synchronization
import Testing

/// The exchange counts a call when it arrives; these tests check NonceStore's counter
/// against a model that does exactly that.
@Suite("The rate counter against the exchange's, which counts calls on arrival")
struct RateArrivalTests {
    /// A clock on which time passes only when a test moves it or someone sleeps on it
    /// (a sleep moves it by the sleep's length): a limiter's waits cost no real time and
    /// every interleaving is the test's own.
    final class SimulatedClock: NonceClock {
        // Starts at the real time: the database refuses a shared nonce asked for a day or more ahead of its clock.
        private let current = Mutex<Int64>(SystemClock().now())
        func now() -> Int64 { current.withLock { $0 } }
        func advance(by duration: Duration) { current.withLock { $0 += duration.wholeNanoseconds } }
        func sleep(for duration: Duration) { advance(by: duration) }
        func sleep(for duration: Duration) async throws { advance(by: duration) }
    }

    /// Kraken's per-key counter: each call adds its cost when it arrives, the counter decays
    /// continuously, and a call that would take it over the maximum is refused.
    final class ExchangeModel: Sendable {
        let limit: RateLimit
        private let state = Mutex<(level: Double, at: Int64, refused: Int, accepted: Int)>((0, 0, 0, 0))
        init(_ limit: RateLimit) { self.limit = limit }

        func arrive(cost: Double, at now: Int64) {
            state.withLock { state in
                let level = RateCounterMath.decayed(level: state.level, from: state.at, to: now, perSecond: limit.decayPerSecond)
                if level + cost > limit.maximum + 1e-9 {
                    state = (level, now, state.refused + 1, state.accepted)
                } else {
                    state = (level + cost, now, state.refused, state.accepted + 1)
                }
            }
        }
        var refused: Int { state.withLock { $0.refused } }
        var accepted: Int { state.withLock { $0.accepted } }
    }

    /// Two bots (managers) on one shared stream and one simulated clock.
    static func bots(_ directory: TemporaryDirectory, clock: SimulatedClock) throws -> (NonceManager, NonceManager) {
        let configuration = NonceManager.Configuration(stream: "kraken", mode: .shared, protection: .init(rateLimit: .pro), timing: .init(clock: clock))
        return (try NonceManager(path: directory.database, configuration: configuration),
                try NonceManager(path: directory.database, configuration: configuration))
    }

    @Test("a call that arrives 0.5 s after its nonce, then 25 quick calls from another bot: none refused")
    func delayedCallThenBurst() throws {
        let directory = try TemporaryDirectory()
        let clock = SimulatedClock()
        let exchange = ExchangeModel(.pro)
        let (slow, quick) = try Self.bots(directory, clock: clock)
        defer { try? slow.close(); try? quick.close() }
        try slow.withAPILock { _ in
            clock.advance(by: .milliseconds(500))
            exchange.arrive(cost: CallCost.standard, at: clock.now())
        }
        for _ in 0..<25 {
            try quick.withAPILock { _ in exchange.arrive(cost: CallCost.standard, at: clock.now()) }
        }
        #expect(exchange.accepted == 26)
        #expect(exchange.refused == 0)
    }

    @Test("two bots on a Pro key, 12 calls each with cost-2 calls and in-flight delays: none refused",
          arguments: [UInt64(1), 2, 3])
    func twoBotsMixedCosts(seed: UInt64) throws {
        let directory = try TemporaryDirectory()
        let clock = SimulatedClock()
        let exchange = ExchangeModel(.pro)
        let (first, second) = try Self.bots(directory, clock: clock)
        defer { try? first.close(); try? second.close() }
        var random = SeededGenerator(state: seed)
        for call in 0..<24 {
            let bot = call.isMultiple(of: 2) ? first : second
            let cost = random.next() % 3 == 0 ? CallCost.history : CallCost.standard
            let flight = Duration.milliseconds(Int64(random.next() % 600))
            try bot.withAPILock(cost: cost) { _ in
                clock.advance(by: flight)
                exchange.arrive(cost: cost, at: clock.now())
            }
        }
        #expect(exchange.accepted == 24)
        #expect(exchange.refused == 0)
    }

    /// A flag another thread raises.
    final class Flag: Sendable {
        private let value = Atomic<Bool>(false)
        func raise() { value.store(true, ordering: .sequentiallyConsistent) }
        var isRaised: Bool { value.load(ordering: .sequentiallyConsistent) }
        func wait() -> Bool {
            let deadline = ContinuousClock.now + .seconds(10)
            while !isRaised && ContinuousClock.now < deadline { usleep(1_000) }
            return isRaised
        }
    }

    /// A charge taken while waiting for the lock would decay in the counter before its call
    /// reaches the exchange (the call goes out only once the lock is held), and a third bot
    /// could spend that room on a call arriving after it: the exchange would refuse one.
    @Test("a bot waiting for the API lock takes its rate charge only once it holds the lock")
    func chargeTakenUnderTheLock() throws {
        let directory = try TemporaryDirectory()
        let clock = SimulatedClock()
        let (holder, waiter) = try Self.bots(directory, clock: clock)
        defer { try? holder.close(); try? waiter.close() }
        let level = {
            try SQLiteStore(path: directory.database).withConnection { connection in
                try connection.prepare("SELECT rate_counter FROM stream_state WHERE stream = 'kraken'").rows { $0.double(at: 0) }.first ?? nil
            }
        }
        let inside = Flag(), release = Flag()
        let holding = RateLimitTests.Background {
            try holder.withAPILock { nonce in
                inside.raise()
                _ = release.wait()
                return nonce
            }
        }
        #expect(inside.wait())
        let waiting = RateLimitTests.Background { try waiter.withAPILock { $0 } }
        usleep(300_000)  // the waiter has asked for the lock by now
        #expect(!waiting.isDone)
        #expect(try level() == 1, "the waiting bot took a charge before holding the lock")
        release.raise()
        #expect(holding.finishes() && waiting.finishes())
        #expect(try level() == 2)
    }
}
