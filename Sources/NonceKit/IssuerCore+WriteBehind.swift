import Foundation
import NonceBackend

extension IssuerCore {
    /// History rows one write-behind transaction carries at most. Bounded so that callers
    /// held back by a full buffer get chunks back after one short transaction (tens of
    /// milliseconds), not after the whole backlog; large enough that commits stay cheap.
    static let rowsPerTransaction = 32_768

    /// The background writer's work: renew the mark ahead of need and write the buffered
    /// history and counters, in transactions of at most ``rowsPerTransaction`` rows (durable
    /// when one moves the mark), until no full chunk is left.
    ///
    /// - Parameter releasing: the final round of a clean close. Issuing has stopped, so
    ///   everything is written and the mark comes down to the last nonce: the next process
    ///   continues right after it instead of skipping the unused lease.
    func writeBehind(releasing: Bool = false) {
        while writeOnce(releasing: releasing) {}
    }

    /// One transaction of ``writeBehind(releasing:)``; returns true when more is waiting.
    func writeOnce(releasing: Bool = false) -> Bool {
        // Under `durableWrites` from snapshot to commit: a jump or renewal cannot land
        // between the release's reading of `last` and its lowering of the mark.
        let more = durableWrites.withLock { _ in writeRound(releasing: releasing) }
        signal.announceProgress()
        return more
    }

    /// One transaction's worth. Returns true when another round should follow at once.
    private func writeRound(releasing: Bool) -> Bool {
        let now = configuration.timing.clock.now()
        let (taken, target, last, final) = state.withLock { state -> (IssuerState.Snapshot, Int64?, Int64, Bool) in
            let target = state.renewalPending && !releasing
                ? capped(max(state.last, unit.steps(ofNanoseconds: now)).addingClamped(leaseSpan)) : nil
            let snapshot = state.takeSnapshot(maxChunks: chunksPerTransaction, includePartial: true)
            return (snapshot, target, state.last, releasing && state.history.waitingRows == 0)
        }
        // Owned here alone, so the chunks can be emptied in place once written.
        var snapshot = consume taken
        let hasRows = !snapshot.chunks.isEmpty
        guard final || target != nil || hasRows || snapshot.issued > 0 || snapshot.regressions > 0 else { return false }
        var change = StreamChange(streamID: streamID)
        change.history = HistoryRows(chunks: snapshot.chunks)
        change.pid = pid
        change.lastIssued = snapshot.issued > 0 ? snapshot.last : nil
        change.issuedDelta = snapshot.issued
        change.clockRegressionsDelta = snapshot.regressions
        if snapshot.regressions > 0 {
            change.events = [EventRow(
                at: now, kind: .clockRegression,
                detail: "clock stepped back \(snapshot.regressions) time(s), by up to \(snapshot.largestStepBack) ns")]
        }
        if let target {
            change.highWaterMark = target
            change.markRenewalsDelta = 1
        }
        if final { change.releasedHighWaterMark = last }
        do {
            try store.apply(change, durable: target != nil || final)
        } catch {
            logger.error("background write failed", metadata: ["error": "\(error)"])
            state.withLock { state in
                state.restore(snapshot)
                // Clear only a request this round took on, so the next nonce asks again.
                if target != nil { state.renewalPending = false }
                // Fail closed: a nonce whose history cannot be written is not issued. A failed
                // final write is kept too, for close() to report.
                if hasRows || releasing, state.failure == nil {
                    state.failure = .keeping(error) { .historyWriteFailed(stream: streamName, database: store.path, cause: $0) }
                }
            }
            return false
        }
        change.history = []  // drop its references, so emptying the chunks reuses their memory
        var chunks: [[HistoryRow]] = []
        swap(&chunks, &snapshot.chunks)
        for index in chunks.indices { chunks[index].removeAll(keepingCapacity: true) }
        let more = state.withLock { state in
            state.history.recycle(chunks)
            if let target {
                state.highWaterMark = max(state.highWaterMark, target)
                state.renewalPending = false
                state.renewals += 1
            }
            return state.failure == nil && (state.history.fullChunks > 0 || (releasing && !final))
        }
        // Counted here, per batch, rather than per nonce: the hot path stays free of them.
        metrics.issued.increment(by: snapshot.issued)
        if target != nil { metrics.markRenewals.increment() }
        if snapshot.regressions > 0 { metrics.clockRegressions.increment(by: snapshot.regressions) }
        metrics.recordLead(last: last, now: now, unit: unit)
        if snapshot.regressions > 0 {
            logger.warning("clock stepped backwards; nonces kept increasing", metadata: [
                "times": "\(snapshot.regressions)", "largest_step_ns": "\(snapshot.largestStepBack)",
            ])
        }
        return more
    }
}

/// The thread that runs ``IssuerCore/writeBehind()`` until told to stop.
final class BackgroundWriter: Sendable {
    private let finished = DispatchSemaphore(value: 0)
    private let core: IssuerCore

    init(core: IssuerCore) {
        self.core = core
        let thread = Thread { [core, finished] in
            let interval = core.configuration.history.flushInterval
            var lastPrune = ContinuousClock.now
            var more = false
            while true {
                // With a backlog, go straight on: but one transaction at a time, so that
                // housekeeping (retention, checkpoints) still runs under sustained load.
                let stopping = core.signal.waitForWork(interval: more ? .zero : interval)
                more = core.writeOnce()
                if stopping && !more { break }
                core.maintain(lastPrune: &lastPrune)
            }
            finished.signal()
        }
        thread.name = "NonceStore writer (\(core.streamName))"
        thread.start()
    }

    /// Writes what is left and waits for the thread to end.
    func stop() {
        core.signal.stop()
        finished.wait()
    }
}
