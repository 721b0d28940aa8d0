/// How processes share a stream.
public enum StreamMode: String, Sendable, Codable, CaseIterable {
    /// One process at a time owns the stream and issues from memory, leasing ahead durably.
    case exclusive
    /// Any number of processes issue, each nonce in its own transaction.
    case shared
}

/// A stream's persisted state: one row of the public `stream_state` view.
package struct StreamRecord: Sendable, Equatable, Codable {
    /// The row id; history, events and the claim lock refer to it.
    package var id: Int64
    /// The stream's name, usually naming one API key.
    package var name: String
    /// How processes share the stream.
    package var mode: StreamMode
    /// The largest nonce recorded as issued, as of the last state write.
    package var lastIssued: Int64
    /// The durable ceiling: no process has issued a nonce above it. Restarts begin above it.
    package var highWaterMark: Int64
    /// Nonces issued over the stream's life, as of the last state write.
    package var issuedTotal: Int64
    /// Durable commits of a new high-water mark.
    package var markRenewals: Int64
    /// Times the clock was seen stepping backwards.
    package var clockRegressions: Int64
    /// Jumps forward (manual or recovery).
    package var jumps: Int64
    /// The process that last claimed the stream, while it holds it (informational).
    package var holderPID: Int32?
    /// Nanoseconds since the Unix epoch.
    package var createdAt: Int64
    /// Nanoseconds since the Unix epoch.
    package var updatedAt: Int64
    /// "Invalid nonce" rejections since the last success (they drive recovery jumps).
    package var consecutiveRejections: Int64
    /// Every rejection recorded over the stream's life.
    package var rejectionsTotal: Int64
    /// Times a holder stopped without releasing the stream (kill -9, a crash, power loss):
    /// while above 0, ``issuedTotal`` is a lower bound.
    package var uncleanStops: Int64 = 0
    /// Times the state row was found below the stream's own history and raised to it.
    package var floorRepairs: Int64 = 0
    /// The unit, ceiling and exchange preset its nonces follow.
    package var rules: StreamRules = .nanoseconds

    /// Everything at or below this value may have been sent to the exchange already.
    package var floor: Int64 { max(lastIssued, highWaterMark) }
    /// Every field, as stored.
    package init(id: Int64, name: String, mode: StreamMode, lastIssued: Int64, highWaterMark: Int64, issuedTotal: Int64, markRenewals: Int64, clockRegressions: Int64, jumps: Int64, holderPID: Int32? = nil, createdAt: Int64, updatedAt: Int64, consecutiveRejections: Int64, rejectionsTotal: Int64, uncleanStops: Int64 = 0, floorRepairs: Int64 = 0, rules: StreamRules = .nanoseconds) {
        self.id = id
        self.name = name
        self.mode = mode
        self.lastIssued = lastIssued
        self.highWaterMark = highWaterMark
        self.issuedTotal = issuedTotal
        self.markRenewals = markRenewals
        self.clockRegressions = clockRegressions
        self.jumps = jumps
        self.holderPID = holderPID
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.consecutiveRejections = consecutiveRejections
        self.rejectionsTotal = rejectionsTotal
        self.uncleanStops = uncleanStops
        self.floorRepairs = floorRepairs
        self.rules = rules
    }
}

/// One row of the public `nonce_history` view.
public struct HistoryEntry: Sendable, Equatable, Codable {
    /// The stream's name.
    public var stream: String
    /// The issued nonce.
    public var nonce: UInt64
    /// When the nonce was issued, in nanoseconds since the Unix epoch.
    public var issuedAt: Int64
    /// The process that issued it.
    public var pid: Int32
    /// The caller's label, such as the API method.
    public var label: String?

    /// Writes every column, a missing label as `null`, as the view shows it.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(stream, forKey: .stream)
        try container.encode(nonce, forKey: .nonce)
        try container.encode(issuedAt, forKey: .issuedAt)
        try container.encode(pid, forKey: .pid)
        try container.encode(label, forKey: .label)
    }

    /// Every field, as stored.
    package init(stream: String, nonce: UInt64, issuedAt: Int64, pid: Int32, label: String? = nil) {
        self.stream = stream
        self.nonce = nonce
        self.issuedAt = issuedAt
        self.pid = pid
        self.label = label
    }
}

/// One row of the public `nonce_events` view.
public struct EventEntry: Sendable, Equatable, Codable {
    /// The stream's name.
    public var stream: String
    /// Nanoseconds since the Unix epoch.
    public var at: Int64
    /// A short word: `jump`, `clock_regression`, `import`, `mode`, `rejection`, `recovered`,
    /// `unclean_stop`, `floor_repair` or `history_adopted`.
    public var kind: String
    /// What happened, for people.
    public var detail: String
    /// Every field, as stored.
    package init(stream: String, at: Int64, kind: String, detail: String) {
        self.stream = stream
        self.at = at
        self.kind = kind
        self.detail = detail
    }
}
