import NonceBackend
import Synchronization

/// Applies a manager's ``RateLimit`` (a counter in the database, shared by every process
/// and restart) and ``BurstProtection`` (in memory), waiting on the manager's clock. It has
/// its own lock and never holds it, nor any lock of the issuing path, while waiting: other
/// threads keep issuing.
final class RateLimiter: Sendable {
    let tier: RateLimit?
    let burst: BurstProtection?
    let streamName: String
    let store: any NonceBackend
    let clock: any NonceClock
    let metrics: NonceMetrics
    private let burstEnds: Int64
    private let burstCounter: Mutex<(level: Double, at: Int64)>

    init(configuration: NonceManager.Configuration, streamName: String, store: any NonceBackend, metrics: NonceMetrics) {
        tier = configuration.protection.rateLimit
        burst = configuration.protection.burstProtection
        self.streamName = streamName
        self.store = store
        clock = configuration.timing.clock
        self.metrics = metrics
        isActive = configuration.protection.rateLimit != nil || configuration.protection.burstProtection != nil
        let now = configuration.timing.clock.now()
        burstEnds = now.addingClamped(configuration.protection.burstProtection?.window.wholeNanoseconds ?? 0)
        burstCounter = Mutex((0, now))
    }

    /// Read on every `next()`: stored, so the unlimited path costs one load.
    let isActive: Bool

    /// Takes `cost` when it fits both limits now; otherwise the nanoseconds to wait.
    func take(cost: Double) throws(NonceStoreError) -> Int64 {
        try validate(cost)
        let now = clock.now()
        let waitForBurst = burstWait(cost: cost, now: now, take: false)
        if waitForBurst > 0 { return waitForBurst }
        if let tier {
            do {
                let wait = try store.takeRateCounter(
                    stream: streamName, cost: cost, maximum: tier.maximum, decayPerSecond: tier.decayPerSecond, now: now)
                if wait > 0 { return wait }
            } catch {
                throw .keeping(error) { .rateCounterFailed(stream: streamName, database: store.path, cause: $0) }
            }
        }
        // Checked above, taken now under one lock: another thread may have taken the room
        // meanwhile. The tier's cost is then already paid: erring towards waiting is safe.
        return burstWait(cost: cost, now: now, take: true)
    }

    /// The wait before `cost` fits the burst protection (0 outside its window); with
    /// `take`, adds the cost when it fits.
    private func burstWait(cost: Double, now: Int64, take: Bool) -> Int64 {
        guard let burst, now < burstEnds else { return 0 }
        let limit = burst.limit
        return burstCounter.withLock { counter in
            let level = RateCounterMath.decayed(level: counter.level, from: counter.at, to: now, perSecond: limit.decayPerSecond)
            let wait = RateCounterMath.wait(level: level, cost: cost, maximum: limit.maximum, perSecond: limit.decayPerSecond)
            if take && wait == 0 { counter = (level + cost, max(now, counter.at)) }
            return wait
        }
    }

    /// Waits (blocking this thread) until `cost` fits, then takes it.
    ///
    /// - Returns: the clock reading when it was taken, for ``hold(cost:takenAt:)``.
    @discardableResult
    func acquire(cost: Double) throws(NonceStoreError) -> Int64 {
        let started = ContinuousClock.now
        var waited = false
        while true {
            let takenAt = clock.now()
            let wait = try take(cost: cost)
            if wait == 0 {
                if waited { metrics.limiterWaited(ContinuousClock.now - started) }
                return takenAt
            }
            waited = true
            clock.sleep(for: .nanoseconds(wait))
        }
    }

    /// Waits (suspending, not blocking a thread) until `cost` fits, then takes it.
    ///
    /// - Returns: the clock reading when it was taken, for ``hold(cost:takenAt:)``.
    @discardableResult
    func acquire(cost: Double) async throws -> Int64 {
        let started = ContinuousClock.now
        var waited = false
        while true {
            let takenAt = clock.now()
            // The tier's counter is a database write, which may wait its turn: off the pool.
            let wait = tier == nil ? try take(cost: cost) : try await BlockingWork.run { [self] () throws(NonceStoreError) -> Int64 in
                try take(cost: cost)
            }
            if wait == 0 {
                if waited { metrics.limiterWaited(ContinuousClock.now - started) }
                return takenAt
            }
            waited = true
            try await clock.sleep(for: .nanoseconds(wait))
        }
    }

    /// Holds the tier's charge for a call taken at `takenAt` until now, when the body that
    /// sent it has ended (see the store).
    /// Burst protection needs no hold: it is this process's own, stricter, limit.
    func hold(cost: Double, takenAt: Int64) throws(NonceStoreError) {
        guard let tier else { return }
        do {
            try store.holdRateCharge(stream: streamName, cost: cost, decayPerSecond: tier.decayPerSecond, takenAt: takenAt, now: clock.now())
        } catch {
            throw .keeping(error) { .rateCounterFailed(stream: streamName, database: store.path, cause: $0) }
        }
    }

    private func validate(_ cost: Double) throws(NonceStoreError) {
        guard cost > 0, cost.isFinite else { throw .invalidArgument("a call's cost must be positive, not \(cost)") }
        for limit in [tier, burst?.limit].compactMap({ $0 }) where cost > limit.maximum {
            throw .invalidArgument("a call costing \(cost) can never fit under a counter maximum of \(limit.maximum)")
        }
    }
}
