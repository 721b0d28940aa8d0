/// What ``NonceBackend/timeline(_:)`` reads: one stream's window, cut into buckets of whole
/// seconds (the grain of `history_seconds`).
package struct TimelineQuery: Sendable, Equatable {
    package var streamID: Int64
    /// The first bucket's start, in whole seconds since the epoch.
    package var startSecond: Int64
    /// Each bucket's width, in whole seconds.
    package var bucketSeconds: Int64
    package var bucketCount: Int
    /// Events listed from each end of the window; those between are only counted.
    package var eventLimit: Int

    package init(streamID: Int64, startSecond: Int64, bucketSeconds: Int64, bucketCount: Int, eventLimit: Int) {
        self.streamID = streamID
        self.startSecond = startSecond
        self.bucketSeconds = bucketSeconds
        self.bucketCount = bucketCount
        self.eventLimit = eventLimit
    }

    /// The end of the last bucket, in whole seconds (excluded).
    package var endSecond: Int64 { startSecond + bucketSeconds * Int64(bucketCount) }
}

/// A stream's window as the database sums it: one row per bucket, process and label that
/// issued, at most the rollup's rows in the window (which grow with its seconds, never with
/// the history's rows), and the window's events.
package struct TimelineRecords: Sendable, Equatable {
    /// The nonces one process issued with one label in one bucket.
    package struct Group: Sendable, Equatable {
        package var bucket: Int
        package var pid: Int32
        /// nil: no label.
        package var label: String?
        package var issued: Int64
        /// The largest nonce (in the stream's unit) and issue time (ns) among them.
        package var maxNonce: Int64
        package var maxIssuedAt: Int64

        package init(bucket: Int, pid: Int32, label: String?, issued: Int64, maxNonce: Int64, maxIssuedAt: Int64) {
            self.bucket = bucket
            self.pid = pid
            self.label = label
            self.issued = issued
            self.maxNonce = maxNonce
            self.maxIssuedAt = maxIssuedAt
        }
    }

    /// An event of the window, with the floor it set (if any).
    package struct Event: Sendable, Equatable {
        package var at: Int64
        package var kind: String
        package var detail: String
        package var floor: Int64?

        package init(at: Int64, kind: String, detail: String, floor: Int64?) {
            self.at = at
            self.kind = kind
            self.detail = detail
            self.floor = floor
        }
    }

    /// The window's sums, in no particular order.
    package var groups: [Group]
    /// The events listed, in time order: all of them, or the first and the last
    /// ``TimelineQuery/eventLimit``.
    package var events: [Event]
    /// Every event in the window, listed or not.
    package var eventsInWindow: Int64

    package init(groups: [Group], events: [Event], eventsInWindow: Int64) {
        self.groups = groups
        self.events = events
        self.eventsInWindow = eventsInWindow
    }
}
