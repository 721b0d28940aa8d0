import NonceBackend

/// How a stream's nonces are made, behind one face for ``NonceManager``:
/// ``LeasedEngine`` for exclusive streams (from memory, under a durable lease) and
/// ``SharedIssuer`` for shared ones (one durable transaction per nonce).
protocol IssuingEngine: AnyObject, Sendable {
    /// The next nonce: above every nonce the stream ever issued.
    func issue(label: String?) throws(NonceStoreError) -> Int64
    /// Moves the floor forward by `duration` from `max(last, now)`, durably; returns it.
    func jump(by duration: Duration, reason: String) throws(NonceStoreError) -> Int64
    /// The stream's lifetime figures with this process's own.
    func stats(openedAt: ContinuousClock.Instant) -> NonceStats
    /// Writes what is left and stops issuing; reports a history write that failed.
    func close() throws(NonceStoreError)
}

/// An exclusive stream's engine: ``IssuerCore`` issues from memory, its
/// ``BackgroundWriter`` renews the lease and writes the history.
final class LeasedEngine: IssuingEngine {
    let core: IssuerCore
    private let writer: BackgroundWriter
    /// The stream as it was read when claimed: the base the in-memory counts add to.
    private let base: StreamRecord
    /// Each nonce's history row committed before the nonce is returned.
    private let synchronous: Bool

    init(core: IssuerCore, base: StreamRecord) {
        self.core = core
        self.base = base
        writer = BackgroundWriter(core: core)
        synchronous = core.configuration.history.mode == .synchronous
    }

    func issue(label: String?) throws(NonceStoreError) -> Int64 {
        synchronous ? try core.issueSynchronously(label: label) : try core.issue(label: label)
    }

    func jump(by duration: Duration, reason: String) throws(NonceStoreError) -> Int64 {
        try core.jump(by: duration, reason: reason)
    }

    func stats(openedAt: ContinuousClock.Instant) -> NonceStats {
        core.stats(base: base, openedAt: openedAt)
    }

    func close() throws(NonceStoreError) {
        core.state.withLock { $0.closed = true }
        writer.stop()
        core.writeBehind(releasing: true)
        _ = try? core.store.setHolder(streamID: core.streamID, pid: nil)
        if let failure = core.state.withLock({ $0.failure }) { throw failure }
    }
}
