import Logging
import NonceBackend
import Synchronization

/// The engine behind a ``NonceManager`` on a shared stream: every nonce is its own durable
/// transaction through the store's SQL contract, so any number of processes (in any
/// language) issue one strictly increasing sequence. Slower than the leased engine (one
/// disk flush per nonce), with nothing held in memory that a crash could lose.
final class SharedIssuer: IssuingEngine {
    let streamName: String
    let store: any NonceBackend
    let clock: any NonceClock
    let pid: Int32
    let logger: Logger
    let metrics: NonceMetrics
    private let local: Mutex<Local>

    /// This process's figures, and the previous clock reading to notice steps back.
    struct Local {
        /// The stream as last read, for stats when the database cannot be read.
        var record: StreamRecord
        var previousClock: Int64
        var issued: Int64 = 0
        var clockRegressions: Int64 = 0
        var jumps: Int64 = 0
        var closed = false
    }

    init(record: StreamRecord, store: any NonceBackend, configuration: NonceManager.Configuration, pid: Int32, metrics: NonceMetrics) {
        self.metrics = metrics
        streamName = record.name
        self.store = store
        clock = configuration.timing.clock
        self.pid = pid
        var logger = configuration.logger
        logger[metadataKey: "stream"] = "\(record.name)"
        self.logger = logger
        local = Mutex(Local(record: record, previousClock: configuration.timing.clock.now()))
    }

    func issue(label: String?) throws(NonceStoreError) -> Int64 {
        let (now, stepBack) = try local.withLock { local throws(NonceStoreError) -> (Int64, Int64?) in
            if local.closed { throw .closed(stream: streamName) }
            let now = clock.now()
            let stepBack = now < local.previousClock ? local.previousClock - now : nil
            if stepBack != nil { local.clockRegressions += 1 }
            local.previousClock = now
            return (now, stepBack)
        }
        if let stepBack {
            logger.warning("the clock stepped back; nonces continue above the last one", metadata: [
                "now": "\(now)", "step_back_ns": "\(stepBack)",
            ])
        }
        let nonce: Int64
        let started = ContinuousClock.now
        do {
            nonce = try store.issueShared(stream: streamName, now: now, pid: pid, label: label, clockStepBack: stepBack)
        } catch {
            throw .keeping(error) { .issueFailed(stream: streamName, database: store.path, cause: $0) }
        }
        metrics.issueLatency.recordNanoseconds((ContinuousClock.now - started).wholeNanoseconds)
        metrics.issued.increment()
        if stepBack != nil { metrics.clockRegressions.increment() }
        local.withLock { $0.issued += 1 }
        return nonce
    }

    func jump(by duration: Duration, reason: String) throws(NonceStoreError) -> Int64 {
        let span = duration.wholeNanoseconds
        guard span > 0 else { throw .invalidArgument("a jump must be forward (greater than zero), not \(duration)") }
        try local.withLock { local throws(NonceStoreError) in if local.closed { throw .closed(stream: streamName) } }
        do {
            let floor = try store.jumpShared(stream: streamName, by: span, now: clock.now(), reason: reason)
            local.withLock { $0.jumps += 1 }
            logger.notice("jumped forward", metadata: ["by_ns": "\(span)", "floor": "\(floor)", "reason": "\(reason)"])
            return floor
        } catch {
            throw .keeping(error) { .markNotDurable(stream: streamName, database: store.path, cause: $0) }
        }
    }

    /// The stream's figures from the database (every process's nonces) plus this process's.
    func stats(openedAt: ContinuousClock.Instant) -> NonceStats {
        let fresh = try? store.stream(named: streamName)
        let snapshot = local.withLock { local in
            if let fresh { local.record = fresh }
            return local
        }
        let record = snapshot.record
        let now = clock.now()
        var stats = NonceStats(record: record, now: now, holderPID: nil)
        stats.isHeld = true
        stats.issuedThisProcess = snapshot.issued
        let elapsed = Double((ContinuousClock.now - openedAt).wholeNanoseconds) / 1e9
        stats.ratePerSecond = elapsed > 0 ? Double(snapshot.issued) / elapsed : 0
        return stats
    }

    func close() throws(NonceStoreError) {
        local.withLock { $0.closed = true }
    }
}
