/// What ``NonceBackend/timeline(_:)`` reads: one stream's window, cut into buckets of whole
/// seconds (the grain of `history_seconds`).
package struct TimelineQuery: Sendable, Equatable {
    package var streamID: Int64
    /// The first bucket's start, in whole seconds since the epoch.
    package var startSecond: Int64
    /// Each bucket's width, in whole seconds.
    package var bucketSeconds: Int64
    package var bucketCount: Int
    /// The (pid, label) pairs with the most nonces in the window that keep a series of
    /// their own; the others are summed into one.
    package var seriesLimit: Int
    /// Events listed from each end of the window; those between are only counted.
    package var eventLimit: Int

    package init(streamID: Int64, startSecond: Int64, bucketSeconds: Int64, bucketCount: Int, seriesLimit: Int, eventLimit: Int) {
        self.streamID = streamID
        self.startSecond = startSecond
        self.bucketSeconds = bucketSeconds
        self.bucketCount = bucketCount
        self.seriesLimit = seriesLimit
        self.eventLimit = eventLimit
    }

    /// The end of the last bucket, in whole seconds (excluded).
    package var endSecond: Int64 { startSecond + bucketSeconds * Int64(bucketCount) }
}

/// A stream's window as the database sums it: what a timeline draws, in a size set by its
/// buckets and limits, never by the history's rows.
package struct TimelineRecords: Sendable, Equatable {
    /// A (pid, label) pair with its nonces in the window, most first; ties by pid, then label.
    package struct Series: Sendable, Equatable {
        package var pid: Int32
        /// nil: no label.
        package var label: String?
        package var issued: Int64

        package init(pid: Int32, label: String?, issued: Int64) {
            self.pid = pid
            self.label = label
            self.issued = issued
        }
    }

    /// One bucket's nonces of one series (`series` indexes ``series``; nil: the pairs
    /// beyond the limit, summed).
    package struct Cell: Sendable, Equatable {
        package var bucket: Int
        package var series: Int?
        package var issued: Int64
        /// The largest nonce (in the stream's unit) and issue time (ns) among them.
        package var maxNonce: Int64
        package var maxIssuedAt: Int64

        package init(bucket: Int, series: Int?, issued: Int64, maxNonce: Int64, maxIssuedAt: Int64) {
            self.bucket = bucket
            self.series = series
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

    /// The pairs with a series of their own, at most ``TimelineQuery/seriesLimit``.
    package var series: [Series]
    /// How many pairs issued in the window, these and the rest.
    package var pairs: Int
    /// Non-empty cells, by bucket.
    package var cells: [Cell]
    /// The events listed, in time order: all of them, or the first and last
    /// ``TimelineQuery/eventLimit``.
    package var events: [Event]
    /// Every event in the window, listed or not.
    package var eventsInWindow: Int64

    package init(series: [Series], pairs: Int, cells: [Cell], events: [Event], eventsInWindow: Int64) {
        self.series = series
        self.pairs = pairs
        self.cells = cells
        self.events = events
        self.eventsInWindow = eventsInWindow
    }
}
