import NonceBackend

extension IssuerCore {
    /// Raises the floor to `max(last, now) + duration` and the mark a lease beyond it, in one
    /// durable commit with a `jump` event, before any nonce above the old mark can leave.
    func jump(by duration: Duration, reason: String) throws(NonceStoreError) -> Int64 {
        let span = unit.steps(of: duration)
        guard span > 0 else {
            throw .invalidArgument("a jump must be forward (greater than zero), not \(duration)")
        }
        let now = configuration.timing.clock.now()
        return try durableWrites.withLock { _ throws(NonceStoreError) -> Int64 in
            try checkOpen()
            let from = state.withLock { max($0.last, unit.steps(ofNanoseconds: now)) }
            let (floor, overflow) = from.addingReportingOverflow(span)
            guard !overflow, floor <= ceiling else {
                throw .exhausted(stream: streamName, detail: "a jump by \(duration)", ceiling: ceiling)
            }
            let mark = capped(floor.addingClamped(leaseSpan))
            var change = StreamChange(streamID: streamID)
            change.highWaterMark = mark
            change.jumpsDelta = 1
            let size = unit == .nanoseconds ? "\(span) ns" : "\(duration.wholeNanoseconds) ns (\(span) \(unit.rawValue))"
            change.events = [EventRow(at: now, kind: .jump, detail: "by \(size) from \(from) to \(floor): \(reason)", floor: floor)]
            do {
                try store.apply(change, durable: true)
            } catch {
                throw .keeping(error) { .markNotDurable(stream: streamName, database: store.path, cause: $0) }
            }
            state.withLock { state in
                state.last = max(state.last, floor)
                state.highWaterMark = max(state.highWaterMark, mark)
                state.jumps += 1
            }
            logger.notice("jumped forward", metadata: ["by_ns": "\(duration.wholeNanoseconds)", "floor": "\(floor)", "reason": "\(reason)"])
            return floor
        }
    }
}

extension IssuerCore {
    /// Lifetime figures from `base` (the record at opening) plus this process's.
    func stats(base: StreamRecord, openedAt: ContinuousClock.Instant) -> NonceStats {
        let snapshot = state.withLock { $0 }
        let now = configuration.timing.clock.now()
        var stats = NonceStats(record: base, now: now, holderPID: pid)
        let last = max(base.lastIssued, snapshot.issued > 0 || snapshot.jumps > 0 ? snapshot.last : base.lastIssued)
        stats.lastIssued = UInt64(clamping: last)
        stats.highWaterMark = UInt64(clamping: snapshot.highWaterMark)
        stats.issuedTotal = base.issuedTotal + snapshot.issued
        stats.issuedThisProcess = snapshot.issued
        let elapsed = Double((ContinuousClock.now - openedAt).wholeNanoseconds) / 1e9
        stats.ratePerSecond = elapsed > 0 ? Double(snapshot.issued) / elapsed : 0
        stats.leadOverClockNanoseconds = last == 0 ? 0 : unit.duration(ofSteps: last - unit.steps(ofNanoseconds: now)).wholeNanoseconds
        stats.clockRegressions = base.clockRegressions + snapshot.clockRegressions
        stats.markRenewals = base.markRenewals + snapshot.renewals
        stats.jumps = base.jumps + snapshot.jumps
        return stats
    }
}
