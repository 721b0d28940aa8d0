/// What happened on streams over a window of time, summed by the database into buckets of
/// equal width: what `nonce timeline` draws and prints. Its size is set by the buckets, the
/// series and the event limit, never by how many nonces were issued.
///
/// Read one with ``NonceInspector/timeline(streams:from:until:buckets:)``; draw it with
/// ``TimelinePage``. Encoded (as `nonce timeline --json` prints it), every key is present,
/// absent values as `null`.
public struct NonceTimeline: Sendable, Equatable, Encodable {
    /// The first bucket's start, nanoseconds since the epoch: the window asked for, widened
    /// to whole buckets (a multiple of their width), so that two timelines line up.
    public var from: Int64
    /// The last bucket's end (excluded).
    public var until: Int64
    /// Each bucket's width, in nanoseconds: a whole number of seconds.
    public var bucketNanoseconds: Int64
    /// When the timeline was read, by the inspector's clock.
    public var generatedAt: Int64
    /// The database, as messages name it (never a password).
    public var database: String
    /// One entry per stream, by name.
    public var streams: [StreamTimeline]

    public init(from: Int64, until: Int64, bucketNanoseconds: Int64, generatedAt: Int64, database: String, streams: [StreamTimeline]) {
        self.from = from
        self.until = until
        self.bucketNanoseconds = bucketNanoseconds
        self.generatedAt = generatedAt
        self.database = database
        self.streams = streams
    }
}

/// One stream's part of a ``NonceTimeline``.
public struct StreamTimeline: Sendable, Equatable, Encodable {
    /// The stream's name.
    public var stream: String
    /// Its figures now, as `nonce stats` shows them.
    public var stats: NonceStats
    /// Nonces issued in the window (the history's count, kept by `history_seconds` even
    /// after a prune).
    public var issued: Int64
    /// The (pid, label) pairs that issued most in the window, most first, each with its
    /// nonces; the rest summed in a last entry whose `pid` is nil (``TimelineSeries/others``
    /// says how many pairs it holds).
    public var series: [TimelineSeries]
    /// Every bucket of the window, in time order, empty ones included.
    public var buckets: [TimelineBucket]
    /// The window's events in time order: all of them, or the first and the last
    /// ``NonceInspector/timelineEventLimit`` when there are more.
    public var events: [TimelineEvent]
    /// Every event in the window, listed or not.
    public var eventsInWindow: Int64

    public init(stream: String, stats: NonceStats, issued: Int64, series: [TimelineSeries], buckets: [TimelineBucket],
                events: [TimelineEvent], eventsInWindow: Int64) {
        self.stream = stream
        self.stats = stats
        self.issued = issued
        self.series = series
        self.buckets = buckets
        self.events = events
        self.eventsInWindow = eventsInWindow
    }

    /// Events in the window that ``events`` leaves out.
    public var eventsLeftOut: Int64 { eventsInWindow - Int64(events.count) }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(stream, forKey: .stream)
        try container.encode(stats, forKey: .stats)
        try container.encode(issued, forKey: .issued)
        try container.encode(series, forKey: .series)
        try container.encode(buckets, forKey: .buckets)
        try container.encode(events, forKey: .events)
        try container.encode(eventsInWindow, forKey: .eventsInWindow)
        try container.encode(eventsLeftOut, forKey: .eventsLeftOut)
    }

    private enum CodingKeys: String, CodingKey {
        case stream, stats, issued, series, buckets, events, eventsInWindow, eventsLeftOut
    }
}

/// Nonces of one process and label (or of the rest, summed).
public struct TimelineSeries: Sendable, Equatable, Hashable, Encodable {
    /// The process; nil for the rest of the pairs, summed.
    public var pid: Int32?
    /// The label the nonces were issued with (the first 200 characters); nil for none, and
    /// for the rest.
    public var label: String?
    /// Nonces issued.
    public var issued: Int64
    /// How many (pid, label) pairs the rest holds; 0 for a series of one pair.
    public var others: Int

    public init(pid: Int32?, label: String?, issued: Int64, others: Int = 0) {
        self.pid = pid
        self.label = label
        self.issued = issued
        self.others = others
    }

    /// True for the entry that sums the pairs beyond the series limit.
    public var isRest: Bool { pid == nil }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(pid, forKey: .pid)
        try container.encode(label, forKey: .label)
        try container.encode(issued, forKey: .issued)
        try container.encode(others, forKey: .others)
    }

    private enum CodingKeys: String, CodingKey { case pid, label, issued, others }
}

/// One bucket of a stream's window.
public struct TimelineBucket: Sendable, Equatable, Encodable {
    /// Its start and end (excluded), nanoseconds since the epoch.
    public var start: Int64
    public var end: Int64
    /// Nonces issued in it.
    public var issued: Int64
    /// The same, per series: the non-empty ones, in the order of ``StreamTimeline/series``
    /// (`issued` is this bucket's share, `others` as there).
    public var issuedBy: [TimelineSeries]
    /// The largest nonce issued in it, in the stream's unit; nil when none was.
    public var maxNonce: Int64?
    /// When the last of them was issued (nanoseconds since the epoch).
    public var lastIssuedAt: Int64?
    /// How far that nonce was ahead of the wall clock when it was issued, in nanoseconds
    /// (whole steps of the stream's unit, as ``NonceStats/leadOverClockNanoseconds``
    /// counts them): 0 for a nonce taken from the clock, the jump's size after a jump,
    /// growing when a coarse unit issues faster than its steps.
    public var leadNanoseconds: Int64?

    public init(start: Int64, end: Int64, issued: Int64, issuedBy: [TimelineSeries], maxNonce: Int64?, lastIssuedAt: Int64?,
                leadNanoseconds: Int64?) {
        self.start = start
        self.end = end
        self.issued = issued
        self.issuedBy = issuedBy
        self.maxNonce = maxNonce
        self.lastIssuedAt = lastIssuedAt
        self.leadNanoseconds = leadNanoseconds
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(start, forKey: .start)
        try container.encode(end, forKey: .end)
        try container.encode(issued, forKey: .issued)
        try container.encode(issuedBy, forKey: .issuedBy)
        try container.encode(maxNonce, forKey: .maxNonce)
        try container.encode(lastIssuedAt, forKey: .lastIssuedAt)
        try container.encode(leadNanoseconds, forKey: .leadNanoseconds)
    }

    private enum CodingKeys: String, CodingKey { case start, end, issued, issuedBy, maxNonce, lastIssuedAt, leadNanoseconds }
}

/// An event of the window: a row of `nonce_events`.
public struct TimelineEvent: Sendable, Equatable, Encodable {
    /// Nanoseconds since the epoch.
    public var at: Int64
    /// `jump`, `rejection`, `recovered`, `clock_regression`, `unclean_stop`, ... (`EventKind`).
    public var kind: String
    /// What happened, for people.
    public var detail: String
    /// The floor the event set (a jump's target, an import's value), if it set one.
    public var floor: Int64?

    public init(at: Int64, kind: String, detail: String, floor: Int64?) {
        self.at = at
        self.kind = kind
        self.detail = detail
        self.floor = floor
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(at, forKey: .at)
        try container.encode(kind, forKey: .kind)
        try container.encode(detail, forKey: .detail)
        try container.encode(floor, forKey: .floor)
    }

    private enum CodingKeys: String, CodingKey { case at, kind, detail, floor }
}
