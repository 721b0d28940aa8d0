import Foundation
import NonceStore

extension IssuerCore {
    /// One round of the background writer: renew the mark ahead of need and write the
    /// buffered history and counters, all in one transaction (durable when it moves the mark).
    ///
    /// - Parameter releasing: the final round of a clean close. Issuing has stopped, so
    ///   the mark comes down to the last nonce: the next process continues right after it
    ///   instead of skipping the unused lease.
    func writeBehind(releasing: Bool = false) {
        // Under `durableWrites` from snapshot to commit: a jump or renewal cannot land
        // between the release's reading of `last` and its lowering of the mark.
        durableWrites.withLock { _ in writeBehindLocked(releasing: releasing) }
    }

    private func writeBehindLocked(releasing: Bool) {
        let now = configuration.clock.now()
        let (snapshot, target, last) = state.withLock { state -> (IssuerState.Snapshot, Int64?, Int64) in
            let target = state.renewalPending && !releasing ? max(state.last, now).addingClamped(leaseSpan) : nil
            return (state.takeSnapshot(), target, state.last)
        }
        guard releasing || target != nil || !snapshot.rows.isEmpty || snapshot.issued > 0 || snapshot.regressions > 0
        else { return }
        var change = StreamChange(streamID: streamID)
        change.history = snapshot.rows
        change.pid = pid
        change.lastIssued = snapshot.issued > 0 ? snapshot.last : nil
        change.issuedDelta = snapshot.issued
        change.clockRegressionsDelta = snapshot.regressions
        if snapshot.regressions > 0 {
            change.events = [EventRow(
                at: now, kind: "clock_regression",
                detail: "clock stepped back \(snapshot.regressions) time(s), by up to \(snapshot.largestStepBack) ns")]
        }
        if let target {
            change.highWaterMark = target
            change.markRenewalsDelta = 1
        }
        if releasing { change.releasedMark = last }
        do {
            try store.apply(change, durable: target != nil || releasing)
            state.withLock { state in
                if let target {
                    state.mark = max(state.mark, target)
                    state.renewalPending = false
                    state.renewals += 1
                }
            }
            // Counted here, per batch, rather than per nonce: the hot path stays free of them.
            metrics.issued.increment(by: snapshot.issued)
            if target != nil { metrics.markRenewals.increment() }
            if snapshot.regressions > 0 { metrics.clockRegressions.increment(by: snapshot.regressions) }
            metrics.recordLead(last: last, now: now)
            if snapshot.regressions > 0 {
                logger.warning("clock stepped backwards; nonces kept increasing", metadata: [
                    "times": "\(snapshot.regressions)", "largest_step_ns": "\(snapshot.largestStepBack)",
                ])
            }
        } catch {
            logger.error("background write failed", metadata: ["error": "\(error)"])
            state.withLock { state in
                state.restore(snapshot)
                // Clear only a request this round took on, so the next nonce asks again.
                if target != nil { state.renewalPending = false }
                if !snapshot.rows.isEmpty {
                    // Fail closed: a nonce whose history cannot be written is not issued.
                    state.failure = .historyWriteFailed(stream: streamName, database: store.path, reason: "\(error)")
                }
            }
        }
    }
}

/// The thread that runs ``IssuerCore/writeBehind()`` until told to stop.
final class BackgroundWriter: Sendable {
    private let finished = DispatchSemaphore(value: 0)
    private let core: IssuerCore

    init(core: IssuerCore) {
        self.core = core
        let thread = Thread { [core, finished] in
            let interval = core.configuration.historyFlushInterval
            var lastPrune = ContinuousClock.now
            while true {
                let stopping = core.signal.waitForWork(interval: interval)
                core.writeBehind()
                core.signal.announceProgress()
                if stopping { break }
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
