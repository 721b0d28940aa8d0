/// A nonce to be recorded in the history.
public struct HistoryRow: Sendable, Equatable {
    public var nonce: Int64
    /// When it was issued, in nanoseconds since the Unix epoch.
    public var issuedAt: Int64
    public var label: String?

    public init(nonce: Int64, issuedAt: Int64, label: String? = nil) {
        self.nonce = nonce
        self.issuedAt = issuedAt
        self.label = label
    }
}

/// An event to be recorded in `nonce_events`.
public struct EventRow: Sendable, Equatable {
    /// Nanoseconds since the Unix epoch.
    public var at: Int64
    /// A short machine-readable word: `jump`, `clock_regression`, `recovery`, `import`, ...
    public var kind: String
    public var detail: String

    public init(at: Int64, kind: String, detail: String) {
        self.at = at
        self.kind = kind
        self.detail = detail
    }
}

/// Everything one state write changes for a stream, applied in one transaction by
/// ``NonceStore/apply(_:durable:)``.
///
/// Marks and `lastIssued` only ever move up (the SQL takes the maximum), so a late or
/// repeated write can never lower them; counters are added.
public struct StreamChange: Sendable {
    public var streamID: Int64
    /// Raise the high-water mark to at least this value.
    public var highWaterMark: Int64?
    /// Set the mark to exactly this value (never below `last_issued`), even if lower. Only
    /// the releasing holder of an exclusive stream uses it: it knows no nonce above this
    /// value ever left it, so the next process may continue right after it instead of
    /// skipping the unused rest of the lease. Wins over ``highWaterMark``.
    public var releasedMark: Int64?
    /// Raise `last_issued` to at least this value.
    public var lastIssued: Int64?
    public var issuedDelta: Int64 = 0
    public var markRenewalsDelta: Int64 = 0
    public var clockRegressionsDelta: Int64 = 0
    public var jumpsDelta: Int64 = 0
    /// Rows appended to the history, in issue order.
    public var history: HistoryRows = []
    /// The process that issued `history`.
    public var pid: Int32 = 0
    public var events: [EventRow] = []

    public init(streamID: Int64) {
        self.streamID = streamID
    }

    /// True when applying the change would write nothing.
    public var isEmpty: Bool {
        highWaterMark == nil && releasedMark == nil && lastIssued == nil && issuedDelta == 0 && markRenewalsDelta == 0
            && clockRegressionsDelta == 0 && jumpsDelta == 0 && history.isEmpty && events.isEmpty
    }
}
