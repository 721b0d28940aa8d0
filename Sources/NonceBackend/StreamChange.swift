/// A nonce to be recorded in the history.
package struct HistoryRow: Sendable, Equatable {
    package var nonce: Int64
    /// When it was issued, in nanoseconds since the Unix epoch.
    package var issuedAt: Int64
    package var label: String?

    package init(nonce: Int64, issuedAt: Int64, label: String? = nil) {
        self.nonce = nonce
        self.issuedAt = issuedAt
        self.label = label
    }
}

/// An event to be recorded in `nonce_events`.
package struct EventRow: Sendable, Equatable {
    /// Nanoseconds since the Unix epoch.
    package var at: Int64
    /// What the event records.
    package var kind: EventKind
    package var detail: String
    /// The floor the event sets, for events that move one (a jump's target): it counts
    /// towards the stream's floor like its history does.
    package var floor: Int64?

    package init(at: Int64, kind: EventKind, detail: String, floor: Int64? = nil) {
        self.at = at
        self.kind = kind
        self.detail = detail
        self.floor = floor
    }
}

/// Everything one state write changes for a stream, applied in one transaction by
/// ``SQLiteStore/apply(_:durable:)``.
///
/// Marks and `lastIssued` only ever move up (the SQL takes the maximum), so a late or
/// repeated write can never lower them; counters are added.
package struct StreamChange: Sendable {
    package var streamID: Int64
    /// Raise the high-water mark to at least this value.
    package var highWaterMark: Int64?
    /// Set the mark to exactly this value (never below `last_issued`), even if lower. Only
    /// the releasing holder of an exclusive stream uses it: it knows no nonce above this
    /// value ever left it, so the next process may continue right after it instead of
    /// skipping the unused rest of the lease. Wins over ``highWaterMark``.
    package var releasedHighWaterMark: Int64?
    /// Raise `last_issued` to at least this value.
    package var lastIssued: Int64?
    package var issuedDelta: Int64 = 0
    package var markRenewalsDelta: Int64 = 0
    package var clockRegressionsDelta: Int64 = 0
    package var jumpsDelta: Int64 = 0
    /// Rows appended to the history, in issue order.
    package var history: HistoryRows = []
    /// The process that issued `history`.
    package var pid: Int32 = 0
    package var events: [EventRow] = []

    package init(streamID: Int64) {
        self.streamID = streamID
    }

    /// True when applying the change would write nothing.
    package var isEmpty: Bool {
        highWaterMark == nil && releasedHighWaterMark == nil && lastIssued == nil && issuedDelta == 0 && markRenewalsDelta == 0
            && clockRegressionsDelta == 0 && jumpsDelta == 0 && history.isEmpty && events.isEmpty
    }
}
