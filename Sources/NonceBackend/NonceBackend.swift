/// What a nonce store needs from whatever keeps it: SQLite on one host (`SQLiteStore`), a
/// server shared by several hosts next. ``NonceKit`` holds the policy (leases, jumps, rate
/// limits, the `max(now, floor + 1)` rule for exclusive streams) and reaches the records
/// only through this protocol, so a second backend plugs in without touching it.
///
/// Every method that changes records runs in one transaction, durable when it says so; none
/// lowers a stream's floor below a nonce already recorded or leased.
package protocol NonceBackend: AnyObject, Sendable {
    /// Names the database in messages (a path, or a server and database name).
    var path: String { get }

    // MARK: Streams

    /// The stream called `name`, or nil.
    func stream(named name: String) throws -> StreamRecord?
    /// Every stream, by name.
    func streams() throws -> [StreamRecord]
    /// The stream called `name`, created in `mode` with `rules` when missing (an existing
    /// stream keeps its own rules: the caller compares); refuses the other mode, and a
    /// creation that would start below history whose stream row is gone.
    func openStream(named name: String, mode: StreamMode, rules: StreamRules) throws -> StreamRecord
    /// Switches a stream's mode while no process holds it; false when it already was.
    @discardableResult
    func setMode(_ mode: StreamMode, stream name: String) throws -> Bool
    /// Moves a stream to a finer unit while no process holds it, its floor multiplied
    /// (``StreamRules/floor(_:movedTo:stream:)``), with a `unit` event; false when it already
    /// was in `unit`.
    @discardableResult
    func setUnit(_ unit: NonceUnit, stream name: String) throws -> Bool

    // MARK: Claims and cross-process locks

    /// Holds the stream for this caller: alone for an exclusive issuer, `shared` beside the
    /// other processes of a shared stream. Released when the holder dies.
    func claim(_ record: StreamRecord, wait: Duration?, shared: Bool) throws -> any StreamClaim
    /// Whether any live claim holds the stream, in any process (a snapshot).
    func isHeld(_ record: StreamRecord) -> Bool
    /// The lock that serializes a shared stream's API calls across processes.
    func apiLock(for record: StreamRecord) throws -> any InterProcessLock
    /// Records the holding process (nil on release); returns a previous holder's pid when
    /// that holder stopped without releasing (counted as an unclean stop).
    @discardableResult
    func setHolder(streamID: Int64, pid: Int32?) throws -> Int32?

    // MARK: The exclusive issuer's records

    /// Applies `change` in one transaction; `durable` commits it to stable storage before
    /// returning (required when it raises the high-water mark a nonce is issued under).
    func apply(_ change: StreamChange, durable: Bool) throws
    /// Raises a stream's state to the largest nonce in its history, when below it.
    func repairFloor(streamID: Int64) throws -> FloorRepair?
    /// The latest wall-clock reading any process recorded for the stream.
    func lastClockReading(streamID: Int64) throws -> Int64
    /// Counts a process starting with its clock behind `recorded`, with an event.
    func recordClockBehind(streamID: Int64, now: Int64, recorded: Int64, pid: Int32) throws

    // MARK: Shared streams: one durable transaction per nonce

    /// Issues one nonce atomically: `max(now, floor + 1)` over every record, with its history row.
    /// `now` and `clockStepBack` are the caller's clock; a backend with a clock of its own (a
    /// server shared by hosts) reads that instead, so no host's skew can reorder nonces.
    func issueShared(stream name: String, now: Int64, pid: Int32, label: String?, clockStepBack: Int64?) throws -> Int64
    /// Moves a shared stream's floor to `max(floor, now) + nanoseconds` (`now` as for
    /// ``issueShared(stream:now:pid:label:clockStepBack:)``); returns it.
    func jumpShared(stream name: String, by nanoseconds: Int64, now: Int64, reason: String) throws -> Int64

    // MARK: Protection: rejections and the rate counter

    /// Counts an "invalid nonce" rejection; returns the rejections in a row.
    func recordRejection(stream name: String, at now: Int64, detail: String) throws -> Int64
    /// Ends a run of rejections; returns the rejections in a row before.
    @discardableResult
    func recordSuccess(stream name: String, at now: Int64) throws -> Int64
    /// Takes `cost` from the shared rate counter, or returns how long to wait (ns) first.
    func takeRateCounter(stream name: String, cost: Double, maximum: Double, decayPerSecond: Double, now: Int64) throws -> Int64
    /// Keeps a finished call's charge from decaying while it ran.
    func holdRateCharge(stream name: String, cost: Double, decayPerSecond: Double, takenAt: Int64, now: Int64) throws

    // MARK: Reading and maintenance

    func history(stream: String, limit: Int) throws -> [HistoryEntry]
    func events(stream: String, limit: Int) throws -> [EventEntry]
    /// A stream's window summed per bucket from `history_seconds` (never from the history's
    /// rows), its top (pid, label) series, and its events; see ``TimelineQuery``.
    func timeline(_ query: TimelineQuery) throws -> TimelineRecords
    func verify(stream: String?) throws -> VerificationReport
    @discardableResult
    func pruneHistory(stream name: String, issuedBefore: Int64?, keep: Int64?, chunk: Int) throws -> PruneResult
    /// Folds the write-ahead log (or its equivalent) back; false when a reader held it.
    @discardableResult
    func checkpoint() throws -> Bool
    /// The backend's own housekeeping between a holder's writes: checkpoints the log once it
    /// has grown past the backend's limit. Nil when nothing was due (or the backend has no
    /// log of its own, as a server); else what ``checkpoint()`` returned.
    func checkpointIfDue() throws -> Bool?
    func fileSizes() -> StoreFileSizes

    // MARK: Legacy imports

    /// Raises a stream's floor to `floor` (only ever up) with one row per file and an event.
    func recordLegacyImport(
        id: String, stream name: String, files: [LegacyFileRecord], floor: Int64?, summary: String
    ) throws -> LegacyImportCommit
    /// Whether an earlier import recorded every one of `files` unchanged.
    func wasImported(_ files: [LegacyFileRecord], stream name: String) throws -> Bool

    // MARK: Copies between databases

    /// Receives `record`, copied from another database, in one durable transaction holding
    /// the stream's claim: creates it in the same mode when missing (refuses the other mode),
    /// raises its floor to at least `floor` (never lowers it), appends the `history` rows
    /// above its own floor, and records a `copy` event with `detail`.
    func receiveCopy(of record: StreamRecord, floor: Int64, history: [HistoryEntry], detail: String) throws -> CopyCommit
}

/// What ``NonceBackend/receiveCopy(of:floor:history:detail:)`` did.
package struct CopyCommit: Sendable, Equatable {
    /// The destination's floor before and after.
    package var floorBefore: Int64
    package var floorAfter: Int64
    /// History rows appended (those above the destination's floor before).
    package var historyRows: Int

    package init(floorBefore: Int64, floorAfter: Int64, historyRows: Int) {
        self.floorBefore = floorBefore
        self.floorAfter = floorAfter
        self.historyRows = historyRows
    }
}

/// A process's hold on a stream (see ``NonceBackend/claim(_:wait:shared:)``).
package protocol StreamClaim: AnyObject, Sendable {
    var stream: String { get }
    /// Descriptors a child process inherits to keep the claim while it runs (`nonce exec`);
    /// empty when the claim cannot be handed to a child.
    var inheritableDescriptors: [Int32] { get }
    func release()
}

/// A lock shared by every process of a shared stream (see ``NonceBackend/apiLock(for:)``).
/// The caller polls: waiting belongs to the caller's policy (threads or tasks).
package protocol InterProcessLock: AnyObject, Sendable {
    /// Takes it if no other holder has it; false when one does.
    func tryLock() throws(NonceStoreError) -> Bool
    func unlock()
    /// As ``StreamClaim/inheritableDescriptors``.
    var inheritableDescriptors: [Int32] { get }
}

extension NonceBackend {
    /// The stream called `name`, created in `mode` with nanoseconds and no ceiling when missing.
    package func openStream(named name: String, mode: StreamMode) throws -> StreamRecord {
        try openStream(named: name, mode: mode, rules: .nanoseconds)
    }

    /// Prunes in the backend's default chunk size.
    @discardableResult
    package func pruneHistory(stream name: String, issuedBefore: Int64?, keep: Int64?) throws -> PruneResult {
        try pruneHistory(stream: name, issuedBefore: issuedBefore, keep: keep, chunk: 20_000)
    }
}
