import NonceBackend

/// Everything the hot path reads and writes, kept under one mutex.
struct IssuerState {
    /// The last nonce handed out (or the floor before the first).
    var last: Int64
    /// The durable high-water mark: nonces up to it may be handed out.
    var highWaterMark: Int64
    /// The previous clock reading, to notice the clock stepping back (read under the lock,
    /// so readings are in order).
    var previousClock: Int64
    var renewalPending = false
    var flushPending = false
    /// Issued rows the background writer has not written yet, in issue order.
    var history: HistoryBuffer
    /// Issued but not yet added to `issued_total` in the database.
    var unrecordedIssued: Int64 = 0
    var unrecordedRegressions: Int64 = 0
    var largestStepBack: Int64 = 0
    var failure: NonceStoreError?
    var closed = false

    // This process's counters.
    var issued: Int64 = 0
    var clockRegressions: Int64 = 0
    var renewals: Int64 = 0
    var jumps: Int64 = 0

    init(floor: Int64, now: Int64, history: HistoryBuffer) {
        self.history = history
        last = floor
        highWaterMark = floor
        previousClock = now
    }

    /// Reads the clock into the state, counting each step backwards once.
    mutating func observe(clock now: Int64) {
        if now < previousClock {
            clockRegressions += 1
            unrecordedRegressions += 1
            largestStepBack = max(largestStepBack, previousClock - now)
        }
        previousClock = now
    }

    /// What the background writer takes in one go.
    struct Snapshot {
        /// Chunks of history rows, in issue order; handed back to ``history`` once written.
        var chunks: [[HistoryRow]]
        var issued: Int64
        var regressions: Int64
        var largestStepBack: Int64
        var last: Int64
    }

    /// Takes what the database has not seen yet: up to `maxChunks` chunks of history (the
    /// partly filled one too when `includePartial` and none is full) and the counters.
    mutating func takeSnapshot(maxChunks: Int, includePartial: Bool) -> Snapshot {
        let snapshot = Snapshot(
            chunks: history.take(maxChunks: maxChunks, includePartial: includePartial), issued: unrecordedIssued,
            regressions: unrecordedRegressions, largestStepBack: largestStepBack, last: last)
        unrecordedIssued = 0
        unrecordedRegressions = 0
        largestStepBack = 0
        flushPending = history.fullChunks > 0
        return snapshot
    }

    /// Puts back a snapshot whose write failed, ahead of anything issued since.
    mutating func restore(_ snapshot: Snapshot) {
        history.restore(snapshot.chunks)
        unrecordedIssued += snapshot.issued
        unrecordedRegressions += snapshot.regressions
        largestStepBack = max(largestStepBack, snapshot.largestStepBack)
    }
}
