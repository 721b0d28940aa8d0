import Foundation
public import NonceStore
import Synchronization

/// Issues strictly increasing nanosecond nonces for one stream, safe across threads and
/// crashes, and records each one in the store.
///
/// A nonce is `max(now, last + 1)` in nanoseconds since the epoch. Before any nonce above
/// the stored high-water mark leaves, a new mark ahead of it is committed durably, so a
/// process that restarts after a crash (kill -9, power loss) begins above everything this
/// one issued. The mark is renewed by a background thread before it runs out, so callers
/// rarely wait for the disk.
///
/// The stream is held exclusively: a second process (or manager) that opens it gets
/// ``StoreError/streamHeld(stream:holderPID:database:)``.
///
/// ```swift
/// let manager = try NonceManager(path: "nonces.sqlite")
/// let nonce = try manager.next()
/// try manager.withAPILock { nonce in try sendPrivateRequest(nonce: nonce) }
/// ```
///
/// ## Topics
/// ### Opening and closing
/// - ``init(path:configuration:)``
/// - ``init(store:configuration:)``
/// - ``close()``
/// ### Issuing
/// - ``next(label:)``
/// - ``withAPILock(timeout:label:_:)``
/// - ``jump(by:reason:)``
/// ### Reading
/// - ``stats()``
public final class NonceManager: Sendable {
    /// The stream this manager issues from.
    public let stream: String
    /// The store the manager writes to.
    public let store: NonceStore
    let core: IssuerCore
    let apiLock = APILock()
    private let writer: BackgroundWriter
    private let claim: StreamClaim
    private let base: StreamRecord
    private let openedAt = ContinuousClock.now
    private let closeOnce = Mutex(false)

    /// Opens (creating if needed) the database at `path` and claims `configuration.stream`.
    public convenience init(path: String, configuration: Configuration = Configuration()) throws {
        try self.init(store: NonceStore(path: path, configuration: configuration.store), configuration: configuration)
    }

    /// Claims `configuration.stream` in `store`, creating the stream when missing, and
    /// commits a first lease so the first nonce does not wait for the disk.
    public init(store: NonceStore, configuration: Configuration = Configuration()) throws {
        let opened = try store.openStream(named: configuration.stream, mode: .exclusive)
        let claim = try store.claim(opened, wait: configuration.claimWait)
        let pid = getpid()
        try store.setHolder(streamID: opened.id, pid: pid)
        // Read again under the claim: the previous holder's last writes are in now.
        guard let record = try store.stream(named: opened.name) else { throw StoreError.streamNotFound(opened.name, path: store.path) }
        self.stream = record.name
        self.store = store
        self.claim = claim
        self.base = record
        core = IssuerCore(record: record, store: store, configuration: configuration, pid: pid)
        let now = configuration.clock.now()
        try core.renew(toCover: max(now, record.floor.addingClamped(1)))
        writer = BackgroundWriter(core: core)
    }

    deinit { close() }

    /// Returns the next nonce: strictly greater than every nonce this stream has issued, in
    /// any process, before or after any crash.
    ///
    /// - Parameter label: stored with the nonce in `nonce_history` (for example the API
    ///   method it was used for).
    /// - Throws: ``NonceError`` when the mark cannot be made durable, the history cannot be
    ///   written, or the stream would pass 2^63-1. No nonce is issued then.
    public func next(label: String? = nil) throws(NonceError) -> UInt64 {
        let nonce = core.configuration.history == .synchronous
            ? try core.issueSynchronously(label: label)
            : try core.issue(label: label)
        return UInt64(nonce)
    }

    /// Moves the stream forward by `duration` at once: the next nonce is at least
    /// `max(last, now) + duration`. Committed durably and recorded in `nonce_events`.
    ///
    /// - Returns: the new floor; every later nonce is above it.
    @discardableResult
    public func jump(by duration: Duration, reason: String = "manual") throws(NonceError) -> UInt64 {
        UInt64(try core.jump(by: duration, reason: reason))
    }

    /// This stream's figures: lifetime totals plus this process's counts.
    public func stats() -> NonceStats {
        let clock = core.configuration.clock
        let snapshot = core.state.withLock { $0 }
        let now = clock.now()
        var stats = NonceStats(record: base, now: now, holderPID: core.pid)
        stats.lastIssued = max(base.lastIssued, snapshot.issued > 0 || snapshot.jumps > 0 ? snapshot.last : base.lastIssued)
        stats.highWaterMark = snapshot.mark
        stats.issuedTotal = base.issuedTotal + snapshot.issued
        stats.issuedThisProcess = snapshot.issued
        let elapsed = Double((ContinuousClock.now - openedAt).nanoseconds) / 1e9
        stats.ratePerSecond = elapsed > 0 ? Double(snapshot.issued) / elapsed : 0
        stats.leadOverClockNanoseconds = stats.lastIssued == 0 ? 0 : stats.lastIssued - now
        stats.clockRegressions = base.clockRegressions + snapshot.clockRegressions
        stats.markRenewals = base.markRenewals + snapshot.renewals
        stats.jumps = base.jumps + snapshot.jumps
        return stats
    }

    /// Writes the remaining history and counters, and releases the stream. Called by
    /// `deinit` too; calling it twice does nothing. Issuing after `close()` throws.
    public func close() {
        let first = closeOnce.withLock { closed in
            defer { closed = true }
            return !closed
        }
        guard first else { return }
        core.state.withLock { $0.closed = true }
        writer.stop()
        core.writeBehind(releasing: true)
        try? store.setHolder(streamID: core.streamID, pid: nil)
        claim.release()
    }
}
