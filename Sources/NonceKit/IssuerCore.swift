import Logging
import NonceBackend
import Synchronization

/// The engine behind ``NonceManager``: issues nonces from memory under a durable lease.
///
/// The invariant every path keeps: a nonce is handed out only if it is at or below `mark`,
/// and `mark` only ever holds a value whose commit (`synchronous=FULL`) has returned. So
/// after any crash the next process, starting above the stored mark, is above every nonce
/// that ever left this one.
final class IssuerCore: Sendable {
    let streamName: String
    let streamID: Int64
    let store: any NonceBackend
    let configuration: NonceManager.Configuration
    let state: Mutex<IssuerState>
    /// Serializes durable writes that move the mark (renewals, jumps, synchronous history),
    /// so concurrent callers that need a mark wait for one commit instead of making many.
    let durableWrites = Mutex(())
    /// The lease, in the stream's unit.
    let leaseSpan: Int64
    /// What one step of the stream's nonce is worth, and the largest it may issue.
    let unit: NonceUnit
    let ceiling: Int64
    /// Renew once less than this much of the lease is left, ahead of need.
    let renewAhead: Int64
    let pid: Int32
    let logger: Logger
    /// How the hot path and the background writer nudge each other.
    let signal = WriterSignal()
    let metrics: NonceMetrics
    /// Read once from `configuration`, because the hot path reads them on every call.
    let recordsHistory: Bool
    let clock: any NonceClock
    /// The clock is the system's: read it directly rather than through the existential.
    let usesSystemClock: Bool
    /// History chunks one background transaction writes at most (``rowsPerTransaction`` rows).
    let chunksPerTransaction: Int

    init(record: StreamRecord, store: any NonceBackend, configuration: NonceManager.Configuration, pid: Int32, metrics: NonceMetrics) {
        self.metrics = metrics
        streamName = record.name
        streamID = record.id
        self.store = store
        self.configuration = configuration
        self.pid = pid
        recordsHistory = configuration.history.mode == .batched
        clock = configuration.timing.clock
        usesSystemClock = configuration.timing.clock is SystemClock
        unit = record.rules.unit
        ceiling = record.rules.ceiling
        leaseSpan = max(1, record.rules.unit.steps(of: configuration.timing.leaseSpan))
        renewAhead = max(1, leaseSpan / 2)
        var logger = configuration.logger
        logger[metadataKey: "stream"] = "\(record.name)"
        self.logger = logger
        let chunkRows = min(max(1, configuration.history.batchSize), max(1, configuration.history.bufferLimit / 2))
        chunksPerTransaction = max(1, Self.rowsPerTransaction / chunkRows)
        state = Mutex(IssuerState(
            floor: record.floor, now: configuration.timing.clock.now(),
            history: HistoryBuffer(limit: configuration.history.bufferLimit, chunkRows: chunkRows)))
    }

    private enum Attempt {
        case issued(Int64, wakeWriter: Bool)
        case needsMark(Int64)
        case backPressure
        case failed(NonceStoreError)
    }

    /// Issues one nonce (batched or no history).
    func issue(label: String?) throws(NonceStoreError) -> Int64 {
        // Each renewal this call has to wait for covers twice the span of the one before:
        // a lease shorter than a disk flush would otherwise be outrun by the clock for ever.
        var renewalSpan = leaseSpan
        while true {
            switch attempt(label: label) {
            case .issued(let nonce, let wake):
                if wake { signal.wake() }
                return nonce
            case .needsMark(let nonce):
                let waited = ContinuousClock.now
                try renew(toCover: nonce, span: renewalSpan)
                metrics.issueLatency.recordNanoseconds((ContinuousClock.now - waited).wholeNanoseconds)
                renewalSpan = renewalSpan.addingClamped(renewalSpan)
            case .backPressure:
                signal.waitForProgress()
            case .failed(let error):
                throw error
            }
        }
    }

    /// Issues one nonce when that needs no wait (no renewal to commit, room in the history
    /// buffer); nil otherwise, having issued nothing. The async path's first try.
    func issueWithoutWaiting(label: String?) throws(NonceStoreError) -> Int64? {
        switch attempt(label: label) {
        case .issued(let nonce, let wake):
            if wake { signal.wake() }
            return nonce
        case .needsMark, .backPressure:
            return nil
        case .failed(let error):
            throw error
        }
    }

    /// One try at issuing under the state lock; says what stands in the way when it cannot.
    private func attempt(label: String?) -> Attempt {
        let recordHistory = recordsHistory
        return state.withLock { state -> Attempt in
            if let failure = state.failure { return .failed(failure) }
            if state.closed { return .failed(.closed(stream: streamName)) }
            if recordHistory && !state.history.hasRoom { return .backPressure }
            let now = usesSystemClock ? SystemClock().now() : clock.now()
            state.observe(clock: now)
            let nonce = max(unit.steps(ofNanoseconds: now), state.last.addingClamped(1))
            guard state.last < ceiling, nonce <= ceiling else {
                return .failed(.exhausted(stream: streamName, detail: "the next nonce", ceiling: ceiling))
            }
            guard nonce <= state.highWaterMark else { return .needsMark(nonce) }
            state.last = nonce
            state.issued += 1
            state.unrecordedIssued += 1
            var wake = false
            if recordHistory {
                let filledChunk = state.history.append(HistoryRow(nonce: nonce, issuedAt: now, label: label))
                if filledChunk && !state.flushPending {
                    state.flushPending = true
                    wake = true
                }
            }
            if state.highWaterMark - nonce < renewAhead && !state.renewalPending {
                state.renewalPending = true
                wake = true
            }
            return .issued(nonce, wakeWriter: wake)
        }
    }

    /// `value`, never above the stream's ceiling: a mark or lease stops there.
    func capped(_ value: Int64) -> Int64 { min(value, ceiling) }

    /// The wall clock in the stream's unit.
    func nowInUnit() -> Int64 { unit.steps(ofNanoseconds: configuration.timing.clock.now()) }

    /// Throws when the manager is closed or failed. Durable writes call it under
    /// `durableWrites`, so none of them can slip in after the release has been written.
    func checkOpen() throws(NonceStoreError) {
        let failure = state.withLock { $0.closed ? NonceStoreError.closed(stream: streamName) : $0.failure }
        if let failure { throw failure }
    }

    /// Issues one nonce whose history row is durable before it returns.
    func issueSynchronously(label: String?) throws(NonceStoreError) -> Int64 {
        let clock = configuration.timing.clock
        return try durableWrites.withLock { _ throws(NonceStoreError) -> Int64 in
            let (nonce, now, mark) = try state.withLock { state throws(NonceStoreError) -> (Int64, Int64, Int64) in
                if let failure = state.failure { throw failure }
                if state.closed { throw .closed(stream: streamName) }
                let now = clock.now()
                state.observe(clock: now)
                let nonce = max(unit.steps(ofNanoseconds: now), state.last.addingClamped(1))
                guard state.last < ceiling, nonce <= ceiling else {
                    throw .exhausted(stream: streamName, detail: "the next nonce", ceiling: ceiling)
                }
                return (nonce, now, state.highWaterMark)
            }
            var change = StreamChange(streamID: streamID)
            change.history = [HistoryRow(nonce: nonce, issuedAt: now, label: label)]
            change.pid = pid
            change.lastIssued = nonce
            change.issuedDelta = 1
            let newMark = nonce > mark ? capped(nonce.addingClamped(leaseSpan)) : nil
            if newMark != nil {
                change.highWaterMark = newMark
                change.markRenewalsDelta = 1
            }
            do {
                try store.apply(change, durable: true)
            } catch {
                throw .keeping(error) { .markNotDurable(stream: streamName, database: store.path, cause: $0) }
            }
            state.withLock { state in
                state.last = max(state.last, nonce)
                state.issued += 1
                if let newMark {
                    state.highWaterMark = max(state.highWaterMark, newMark)
                    state.renewals += 1
                }
            }
            metrics.issued.increment()
            if newMark != nil { metrics.markRenewals.increment() }
            return nonce
        }
    }

    /// Commits a mark that covers `nonce` before anyone may issue it. The caller waits on
    /// the disk flush: this is the slow path that renewing ahead of need keeps rare.
    func renew(toCover nonce: Int64, span: Int64? = nil) throws(NonceStoreError) {
        try durableWrites.withLock { _ throws(NonceStoreError) in
            try checkOpen()
            if state.withLock({ $0.highWaterMark >= nonce }) { return }  // another caller renewed meanwhile
            let target = capped(nonce.addingClamped(span ?? leaseSpan))
            var change = StreamChange(streamID: streamID)
            change.highWaterMark = target
            change.markRenewalsDelta = 1
            do {
                try store.apply(change, durable: true)
            } catch {
                logger.error("mark renewal failed", metadata: ["error": "\(error)"])
                throw .keeping(error) { .markNotDurable(stream: streamName, database: store.path, cause: $0) }
            }
            state.withLock { state in
                state.highWaterMark = max(state.highWaterMark, target)
                state.renewals += 1
            }
            metrics.markRenewals.increment()
        }
    }
}
