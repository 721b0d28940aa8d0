import Foundation
import Logging
public import NonceBackend
import NonceSQLite
import Synchronization

/// Issues strictly increasing nanosecond nonces for one stream, safe across threads,
/// processes and crashes, and records each one in the store.
///
/// A nonce is `max(now, last + 1)` in nanoseconds since the epoch. How the stream is shared
/// decides how:
/// - **exclusive** (the default for new streams): this manager holds the stream alone and
///   issues from memory. Before any nonce above the stored high-water mark leaves, a new
///   mark ahead of it is committed durably, so a process that restarts after a crash
///   (kill -9, power loss) begins above everything this one issued. A background thread
///   renews the mark before it runs out, so callers rarely wait for the disk. A second
///   process (or manager) gets `NonceStoreError` `.streamHeld`.
/// - **shared**: any number of processes (in any language, through the SQL contract) issue
///   from the stream; each nonce is one durable transaction, and ``withAPILock(timeout:label:cost:applyRateLimiting:_:)``
///   also excludes the other processes.
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
/// - ``close()-6sng5``
/// ### Issuing
/// - ``next(label:cost:applyRateLimiting:)-3k7v6``
/// - ``withAPILock(timeout:label:cost:applyRateLimiting:_:)``
/// - ``jump(by:reason:)-5pwr6``
/// ### Protecting the key
/// - ``recordRejection(reason:)-8h9fw``
/// - ``recordSuccess()-98ygu``
/// - ``waitForRateLimit(cost:)``
/// ### Reading
/// - ``stats()``
/// ### From async code, without blocking the thread pool
/// - ``open(path:configuration:)``
/// - ``next(label:cost:applyRateLimiting:)-1lhv4``
/// - ``withAPILock(timeout:label:cost:applyRateLimiting:isolation:_:)``
/// - ``jump(by:reason:)-6pqy4``
/// - ``recordRejection(reason:)-5ramg``
/// - ``recordSuccess()-4nubx``
/// - ``close()-20gch``
public final class NonceManager: Sendable {
    /// The stream this manager issues from.
    public let stream: String
    /// The store the manager writes to.
    package let store: any NonceBackend
    /// How the stream is shared.
    public let mode: StreamMode
    /// The stream's unit, ceiling and exchange preset.
    public let rules: StreamRules
    /// Makes the nonces: ``LeasedEngine`` or ``SharedIssuer``, by the stream's mode.
    let engine: any IssuingEngine
    /// The leased engine's core when it issues from memory (history batched or off): the
    /// hot path calls it directly. Every other call goes through `engine`; this one is
    /// measured (`nonce bench`: going through the protocol cost 15-20% of an in-memory issue).
    let memoryIssuer: IssuerCore?
    let apiLock = APILock()
    let limiter: RateLimiter
    let metrics: NonceMetrics
    let configuration: Configuration
    let logger: Logger
    /// Rejections in a row as this process last knew them, and those it recorded.
    let rejections: Mutex<(inARow: Int64, thisProcess: Int64)>
    /// A shared stream's API lock across processes (nil for exclusive streams, whose claim
    /// already keeps every other process out).
    let interProcessAPILock: (any InterProcessLock)?
    let claim: any StreamClaim
    /// The stream's lifetime rejections when this manager claimed it.
    private let rejectionsAtClaim: Int64
    let openedAt = ContinuousClock.now
    private let closeOnce = Mutex(false)

    /// Opens (creating if needed) the database at `path` and opens `configuration.stream`.
    public convenience init(path: String, configuration: Configuration = Configuration()) throws(NonceStoreError) {
        try DatabaseLocation.refuseServerURI(path)
        // Before the file is touched: a wrong setting creates nothing.
        try configuration.validate()
        let store = try NonceStoreError.only(.cannotOpen, database: path) { try SQLiteStore(path: path, configuration: configuration.store) }
        do {
            try self.init(store: store, configuration: configuration)
        } catch {
            throw .keeping(error) { NonceStoreError(.cannotOpen, "'\(path)': \($0)", database: path, cause: $0) }
        }
    }

    /// Opens `configuration.stream` in `store`, creating it when missing (in
    /// `configuration.mode`, exclusive by default), and claims it: alone for an exclusive
    /// stream, alongside the other processes for a shared one. An exclusive stream gets a
    /// first lease committed, so the first nonce does not wait for the disk.
    ///
    /// - Throws: `NonceStoreError` `.modeMismatch` when
    ///   `configuration.mode` is set and the stream is in the other mode;
    ///   `NonceStoreError` `.streamHeld` when another process holds
    ///   an exclusive stream.
    package init(store: any NonceBackend, configuration: Configuration = Configuration()) throws {
        try configuration.validate()
        let rules = try configuration.streamRules()
        let opened = try configuration.mode.map { try store.openStream(named: configuration.stream, mode: $0, rules: rules) }
            ?? store.stream(named: configuration.stream)
            ?? store.openStream(named: configuration.stream, mode: .exclusive, rules: rules)
        try Self.check(opened, keeps: configuration, rules: rules, database: store.path)
        let claim = try store.claim(opened, wait: configuration.timing.claimWait, shared: opened.mode == .shared)
        let pid = getpid()
        // The floor comes from every record: a state row below the stream's own history
        // (lowered by hand, a damaged page) is raised to it before the first nonce.
        let repair = try store.repairFloor(streamID: opened.id)
        // Read again under the claim: the previous holder's last writes are in now, and a
        // mode switch that won the race to the claim shows.
        guard var record = try store.stream(named: opened.name) else { throw NonceStoreError.streamNotFound(opened.name, path: store.path) }
        guard record.mode == opened.mode else {
            throw NonceStoreError.modeMismatch(stream: record.name, actual: record.mode, requested: opened.mode)
        }
        self.stream = record.name
        self.store = store
        self.mode = record.mode
        self.rules = record.rules
        self.claim = claim
        self.configuration = configuration
        var logger = configuration.logger
        logger[metadataKey: "stream"] = "\(record.name)"
        self.logger = logger
        let metrics = NonceMetrics(stream: record.name)
        self.metrics = metrics
        limiter = RateLimiter(configuration: configuration, streamName: record.name, store: store, metrics: metrics)
        rejections = Mutex((record.consecutiveRejections, 0))
        rejectionsAtClaim = record.rejectionsTotal
        if let repair {
            logger.warning("the stream's state was below its own history; issuing continues above the history", metadata: [
                "state_floor": "\(repair.stateFloor)", "history_floor": "\(repair.historyFloor)",
            ])
        }
        // A host whose clock is behind what earlier processes saw: issuing is safe (it
        // continues above the floor), but the clock is wrong and every nonce will run ahead
        // of it, so it is counted and recorded, not only logged.
        let now = configuration.timing.clock.now()
        let recorded = try store.lastClockReading(streamID: record.id)
        if recorded - now > configuration.timing.leaseSpan.wholeNanoseconds {
            try store.recordClockBehind(streamID: record.id, now: now, recorded: recorded, pid: pid)
            record.clockRegressions += 1
            metrics.clockRegressions.increment()
            logger.warning("this host's clock is behind the clock readings recorded for the stream", metadata: [
                "behind_ns": "\(recorded - now)",
            ])
        }
        try Self.watchCeiling(record, store: store, logger: logger)
        switch record.mode {
        case .exclusive:
            if let previous = try store.setHolder(streamID: record.id, pid: pid) {
                record.uncleanStops += 1
                logger.warning("the previous holder stopped without releasing the stream; issued_total is now a lower bound",
                               metadata: ["previous_pid": "\(previous)"])
            }
            let core = IssuerCore(record: record, store: store, configuration: configuration, pid: pid, metrics: metrics)
            try core.renew(toCover: max(core.nowInUnit(), record.floor.addingClamped(1)))
            let leasedEngine = LeasedEngine(core: core, base: record)
            engine = leasedEngine
            memoryIssuer = configuration.history.mode == .synchronous ? nil : core
            interProcessAPILock = nil
        case .shared:
            engine = SharedIssuer(record: record, store: store, configuration: configuration, pid: pid, metrics: metrics)
            memoryIssuer = nil
            interProcessAPILock = try store.apiLock(for: record)
        }
    }

    deinit { try? close() }

    /// Returns the next nonce: strictly greater than every nonce this stream has issued, in
    /// any process, before or after any crash.
    ///
    /// With a ``Configuration/Protection/rateLimit`` or ``Configuration/Protection/burstProtection``, the call
    /// first waits (blocking this thread, holding no lock) until `cost` fits under the
    /// counter. From async code, `await` ``waitForRateLimit(cost:)`` first and pass
    /// `applyRateLimiting: false`, or use the async ``withAPILock(timeout:label:cost:applyRateLimiting:isolation:_:)``.
    ///
    /// - Parameters:
    ///   - label: stored with the nonce in `nonce_history` (for example the API method).
    ///   - cost: what the call adds to the rate counter: ``CallCost/standard`` (1) or
    ///     ``CallCost/history`` (2, ledger and trade-history queries).
    ///   - applyRateLimiting: false skips the limits for this call (the guide's
    ///     `apply_rate_limiting=False`).
    /// - Throws: `NonceStoreError` when the nonce cannot be made durable, the history cannot be
    ///   written, or the stream would pass 2^63-1. No nonce is issued then.
    public func next(label: String? = nil, cost: Double = CallCost.standard, applyRateLimiting: Bool = true) throws(NonceStoreError) -> UInt64 {
        if applyRateLimiting && limiter.isActive { try limiter.acquire(cost: cost) }
        return try issue(label: label)
    }

    /// The most characters a label holds: the SQL contract refuses longer ones too.
    public static let labelLimit = 1_000

    /// Refuses a label over ``labelLimit`` characters (Unicode scalars, as SQLite counts).
    /// The byte count is checked first: almost every label is far below the limit.
    static func check(label: String?) throws(NonceStoreError) {
        guard let label, label.utf8.count > labelLimit, label.unicodeScalars.count > labelLimit else { return }
        throw .invalidArgument("a label holds at most \(labelLimit) characters, not \(label.unicodeScalars.count)")
    }

    /// Issues without any rate limiting: the step every path ends in.
    func issue(label: String?) throws(NonceStoreError) -> UInt64 {
        try Self.check(label: label)
        if let memoryIssuer { return UInt64(clamping: try memoryIssuer.issue(label: label)) }
        return UInt64(clamping: try engine.issue(label: label))
    }

    /// Moves the stream forward by `duration` at once: the next nonce is at least
    /// `max(last, now) + duration`. Committed durably and recorded in `nonce_events`.
    ///
    /// - Returns: the new floor; every later nonce is above it.
    @discardableResult
    public func jump(by duration: Duration, reason: String = "manual") throws(NonceStoreError) -> UInt64 {
        let floor = try engine.jump(by: duration, reason: reason)
        metrics.jumps.increment()
        let now = configuration.timing.clock.now()
        metrics.recordLead(last: floor, now: now, unit: rules.unit)
        let lead = rules.unit.duration(ofSteps: floor - rules.unit.steps(ofNanoseconds: now))
        if lead > configuration.protection.leadWarning {
            logger.warning("the stream now leads the wall clock by more than the warning threshold", metadata: [
                "lead_s": "\(Double(lead.wholeNanoseconds) / 1e9)", "threshold": "\(configuration.protection.leadWarning)",
                "reason": "\(reason)",
            ])
        }
        return UInt64(clamping: floor)
    }

    /// This stream's figures: lifetime totals plus this process's counts. Assembled here
    /// alone: the engine's figures, the rejections this manager recorded, the file sizes.
    public func stats() -> NonceStats {
        var stats = engine.stats(openedAt: openedAt)
        if mode == .exclusive {
            // Only this process records rejections of a stream it holds alone; the engine's
            // base was read at the claim.
            let known = rejections.withLock { $0 }
            stats.consecutiveRejections = known.inARow
            stats.rejectionsTotal = rejectionsAtClaim + known.thisProcess
        }
        let sizes = store.fileSizes()
        stats.databaseBytes = sizes.database
        stats.walBytes = sizes.wal
        return stats
    }

    /// Writes the remaining history and counters, and releases the stream. Called by
    /// `deinit` too (which cannot report); calling it twice does nothing. Issuing after
    /// `close()` throws.
    ///
    /// - Throws: `NonceStoreError` `.historyWriteFailed` when any history
    ///   or counter write of this manager's life failed (a full disk), this last one
    ///   included: the nonces issued were covered by a durable mark, but the history misses
    ///   some of them. The stream is released all the same.
    public func close() throws(NonceStoreError) {
        let first = closeOnce.withLock { closed in
            defer { closed = true }
            return !closed
        }
        guard first else { return }
        defer { claim.release() }
        try engine.close()
    }
}
