import NonceStore

/// Everything the hot path reads and writes, kept under one mutex.
struct IssuerState {
    /// The last nonce handed out (or the floor before the first).
    var last: Int64
    /// The durable high-water mark: nonces up to it may be handed out.
    var mark: Int64
    /// The previous clock reading, to notice the clock stepping back (read under the lock,
    /// so readings are in order).
    var previousClock: Int64
    var renewalPending = false
    var flushPending = false
    /// Issued rows the background writer has not written yet, in issue order.
    var unwritten: [HistoryRow] = []
    /// Issued but not yet added to `issued_total` in the database.
    var unrecordedIssued: Int64 = 0
    var unrecordedRegressions: Int64 = 0
    var largestStepBack: Int64 = 0
    var failure: NonceError?
    var closed = false

    // This process's counters.
    var issued: Int64 = 0
    var clockRegressions: Int64 = 0
    var renewals: Int64 = 0
    var jumps: Int64 = 0

    init(floor: Int64, now: Int64) {
        last = floor
        mark = floor
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
        var rows: [HistoryRow]
        var issued: Int64
        var regressions: Int64
        var largestStepBack: Int64
        var last: Int64
    }

    /// Takes everything the database has not seen yet, leaving fresh buffers behind.
    mutating func takeSnapshot() -> Snapshot {
        // Swap the buffer out (no copy) so the hot path appends to a new one while the
        // writer works; give the new one the old one's size to avoid regrowing.
        var rows: [HistoryRow] = []
        rows.reserveCapacity(unwritten.count)
        swap(&rows, &unwritten)
        let snapshot = Snapshot(rows: rows, issued: unrecordedIssued, regressions: unrecordedRegressions,
                                largestStepBack: largestStepBack, last: last)
        unrecordedIssued = 0
        unrecordedRegressions = 0
        largestStepBack = 0
        flushPending = false
        return snapshot
    }

    /// Puts back a snapshot whose write failed, ahead of anything issued since.
    mutating func restore(_ snapshot: Snapshot) {
        unwritten = snapshot.rows + unwritten
        unrecordedIssued += snapshot.issued
        unrecordedRegressions += snapshot.regressions
        largestStepBack = max(largestStepBack, snapshot.largestStepBack)
    }
}
