public import NonceBackend
/// What ``NonceManager/recordRejection(reason:)-8h9fw`` did.
public struct RecoveryAction: Sendable, Equatable {
    /// Rejections in a row, this one included (shared by every process on the stream and
    /// kept across restarts).
    public var rejectionsInARow: Int64
    /// How far the stream moved forward (zero for the first rejections of the schedule).
    public var jump: Duration
    /// The new floor after the jump: every later nonce is above it. Nil when it did not move.
    public var floor: UInt64?
}

extension NonceManager {
    /// Tells the manager the exchange rejected a nonce (`EAPI:Invalid nonce`). Consecutive
    /// rejections move the stream forward on ``Configuration/Protection/recovery`` (by default:
    /// nothing for the first two, then 10 s, 20 s, 30 s, then 60 s for each further one),
    /// durably, with a `jump` event giving the reason. The count is kept in the database.
    @discardableResult
    public func recordRejection(reason: String = "EAPI:Invalid nonce") throws(NonceStoreError) -> RecoveryAction {
        let count: Int64
        do {
            count = try store.recordRejection(stream: stream, at: configuration.timing.clock.now(), detail: reason)
        } catch {
            throw .keeping(error) { .markNotDurable(stream: stream, database: store.path, doing: "recording the rejection", cause: $0) }
        }
        rejections.withLock { known in
            known.inARow = count
            known.thisProcess += 1
        }
        metrics.rejections.increment()
        let step = configuration.protection.recovery.jump(afterRejection: count)
        guard step > .zero else { return RecoveryAction(rejectionsInARow: count, jump: .zero, floor: nil) }
        // A notice, not a warning: the caller gets the same facts back as the RecoveryAction
        // (and `nonce reject` prints them), and the jump is recorded as an event.
        logger.notice("the exchange rejected nonces; moving forward", metadata: ["in_a_row": "\(count)", "by": "\(step)"])
        let floor = try jump(by: step, reason: "recovery after \(count) rejection(s) in a row: \(reason)")
        return RecoveryAction(rejectionsInARow: count, jump: step, floor: floor)
    }

    /// Tells the manager the exchange accepted a nonce: a run of rejections ends and the
    /// schedule starts over. Cheap when there was no run on an exclusive stream (no write);
    /// on a shared stream it asks the database, since another process may have seen one.
    public func recordSuccess() throws(NonceStoreError) {
        if mode == .exclusive, rejections.withLock({ $0.inARow }) == 0 { return }
        do {
            try store.recordSuccess(stream: stream, at: configuration.timing.clock.now())
        } catch {
            throw .keeping(error) { .markNotDurable(stream: stream, database: store.path, doing: "recording the success", cause: $0) }
        }
        rejections.withLock { $0.inARow = 0 }
    }

    /// Waits, suspending the task instead of blocking a thread, until a call of `cost` fits
    /// the configured limits, and takes it. Follow it with `next(applyRateLimiting: false)`.
    public func waitForRateLimit(cost: Double = CallCost.standard) async throws {
        guard limiter.isActive else { return }
        try await limiter.acquire(cost: cost)
    }
}
