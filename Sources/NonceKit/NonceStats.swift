public import NonceStore

/// A stream's figures: the lifetime ones from the database plus, from a live manager, this
/// process's own.
public struct NonceStats: Sendable, Codable, Equatable {
    public var stream: String
    public var mode: StreamMode
    /// The last nonce issued (0 before the first).
    public var lastIssued: Int64
    /// The durable ceiling every restart begins above.
    public var highWaterMark: Int64
    /// Nonces issued over the stream's life, across all processes and restarts.
    public var issuedTotal: Int64
    /// Nonces this process issued (nil when read from the database alone).
    public var issuedThisProcess: Int64?
    /// This process's nonces per second since it opened the stream.
    public var ratePerSecond: Double?
    /// How far the last nonce is ahead of the wall clock, in nanoseconds (negative: behind).
    public var leadOverClockNanoseconds: Int64
    public var clockRegressions: Int64
    public var markRenewals: Int64
    public var jumps: Int64
    /// The process holding an exclusive stream, when one does (nil for shared streams:
    /// several may).
    public var holderPID: Int32?
    /// Whether any live process holds the stream (in either mode).
    public var isHeld: Bool

    /// The lead over the wall clock as a duration.
    public var leadOverClock: Duration { .nanoseconds(leadOverClockNanoseconds) }

    /// Figures from the database alone, as `nonce stats` shows them for any stream.
    public init(record: StreamRecord, now: Int64, holderPID: Int32?) {
        stream = record.name
        mode = record.mode
        lastIssued = record.lastIssued
        highWaterMark = record.highWaterMark
        issuedTotal = record.issuedTotal
        leadOverClockNanoseconds = record.lastIssued == 0 ? 0 : record.lastIssued - now
        clockRegressions = record.clockRegressions
        markRenewals = record.markRenewals
        jumps = record.jumps
        self.holderPID = holderPID
        isHeld = holderPID != nil
    }
}
