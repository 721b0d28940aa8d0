public import NonceBackend

/// A stream's figures: the lifetime ones from the database plus, from a live manager, this
/// process's own.
public struct NonceStats: Sendable, Encodable, Equatable {
    public var stream: String
    public var mode: StreamMode
    /// The last nonce issued (0 before the first).
    public var lastIssued: UInt64
    /// The durable ceiling every restart begins above.
    public var highWaterMark: UInt64
    /// Nonces issued over the stream's life, across all processes and restarts: exact
    /// while ``uncleanStops`` is 0, a lower bound after (see there).
    public var issuedTotal: Int64
    /// Times a process holding the stream stopped without releasing it (kill -9, a crash,
    /// power loss). Each such stop loses the count (and the history rows) of the nonces it
    /// issued in its last history flush interval, never their safety.
    public var uncleanStops: Int64
    /// Times the stream's state row was found below its own history (lowered by hand or by a
    /// damaged page) and raised to it; each is a `floor_repair` event in `nonce_events`.
    public var floorRepairs: Int64
    /// Nonces this process issued (nil when read from the database alone).
    public var issuedThisProcess: Int64?
    /// This process's nonces per second since it opened the stream.
    public var ratePerSecond: Double?
    /// How far the stream's floor (the last nonce, or a jump's target) is ahead of the
    /// wall clock, in nanoseconds (negative: behind). Every later nonce is at least this far
    /// ahead until the clock catches up. For an exclusive stream held by a running process
    /// the floor includes its lease (about a second).
    public var leadOverClockNanoseconds: Int64
    public var clockRegressions: Int64
    public var markRenewals: Int64
    public var jumps: Int64
    /// The process holding an exclusive stream, when one does (nil for shared streams:
    /// several may).
    public var holderPID: Int32?
    /// Whether any live process holds the stream (in either mode).
    public var isHeld: Bool
    /// "Invalid nonce" rejections since the last success.
    public var consecutiveRejections: Int64
    /// Rejections over the stream's life.
    public var rejectionsTotal: Int64
    /// The database file's size in bytes (all streams share it).
    public var databaseBytes: Int64?
    /// The write-ahead log's size in bytes.
    public var walBytes: Int64?
    /// What one step of the stream's nonce is worth.
    public var unit: NonceUnit = .nanoseconds
    /// The stream's ceiling (nil: 2^63-1).
    public var maxNonce: Int64?
    /// The exchange preset the stream was created from.
    public var exchange: String?
    /// True when the stream is within a year of its ceiling at the clock's pace, or within
    /// 1% of it: a new API key and a new stream are due before it refuses.
    public var isCeilingNear: Bool {
        CeilingWatch.isNear(floor: Int64(clamping: max(lastIssued, highWaterMark)), rules: StreamRules(unit: unit, maxNonce: maxNonce))
    }
    /// True when the last nonce leads the wall clock by more than ``largeLead``: a sign of
    /// runaway jumps (each later nonce stays that far ahead until the clock catches up).
    public var isLeadLarge: Bool { leadOverClockNanoseconds > Self.largeLead.wholeNanoseconds }

    /// The lead `nonce stats` warns about: 5 minutes.
    public static let largeLead = Duration.seconds(300)


    /// Writes every field, an absent one as `null` (rather than leaving the key out), so a
    /// reader of the JSON finds the same keys whatever the stream's state.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(stream, forKey: .stream)
        try container.encode(mode, forKey: .mode)
        try container.encode(lastIssued, forKey: .lastIssued)
        try container.encode(highWaterMark, forKey: .highWaterMark)
        try container.encode(issuedTotal, forKey: .issuedTotal)
        try container.encode(uncleanStops, forKey: .uncleanStops)
        try container.encode(floorRepairs, forKey: .floorRepairs)
        try container.encode(issuedThisProcess, forKey: .issuedThisProcess)
        try container.encode(ratePerSecond, forKey: .ratePerSecond)
        try container.encode(leadOverClockNanoseconds, forKey: .leadOverClockNanoseconds)
        try container.encode(clockRegressions, forKey: .clockRegressions)
        try container.encode(markRenewals, forKey: .markRenewals)
        try container.encode(jumps, forKey: .jumps)
        try container.encode(holderPID, forKey: .holderPID)
        try container.encode(isHeld, forKey: .isHeld)
        try container.encode(consecutiveRejections, forKey: .consecutiveRejections)
        try container.encode(rejectionsTotal, forKey: .rejectionsTotal)
        try container.encode(databaseBytes, forKey: .databaseBytes)
        try container.encode(walBytes, forKey: .walBytes)
        try container.encode(unit, forKey: .unit)
        try container.encode(maxNonce, forKey: .maxNonce)
        try container.encode(exchange, forKey: .exchange)
        try container.encode(isCeilingNear, forKey: .ceilingNear)
    }

    private enum CodingKeys: String, CodingKey {
        case stream, mode, lastIssued, highWaterMark, issuedTotal, uncleanStops, floorRepairs, issuedThisProcess, ratePerSecond
        case leadOverClockNanoseconds, clockRegressions, markRenewals, jumps, holderPID, isHeld, consecutiveRejections
        case rejectionsTotal, databaseBytes, walBytes, unit, maxNonce, exchange, ceilingNear
    }

    /// Figures from the database alone, as `nonce stats` shows them for any stream.
    package init(record: StreamRecord, now: Int64, holderPID: Int32?) {
        stream = record.name
        mode = record.mode
        lastIssued = UInt64(clamping: record.lastIssued)
        highWaterMark = UInt64(clamping: record.highWaterMark)
        issuedTotal = record.issuedTotal
        uncleanStops = record.uncleanStops
        floorRepairs = record.floorRepairs
        leadOverClockNanoseconds = record.floor == 0 ? 0
            : record.rules.unit.duration(ofSteps: record.floor - record.rules.unit.steps(ofNanoseconds: now)).wholeNanoseconds
        unit = record.rules.unit
        maxNonce = record.rules.maxNonce
        exchange = record.rules.exchange
        clockRegressions = record.clockRegressions
        markRenewals = record.markRenewals
        jumps = record.jumps
        self.holderPID = holderPID
        isHeld = holderPID != nil
        consecutiveRejections = record.consecutiveRejections
        rejectionsTotal = record.rejectionsTotal
    }
}
