public import NonceBackend

extension NonceInspector {
    /// The (pid, label) pairs a stream's timeline draws apart; the others are summed into one.
    public static let timelineSeriesLimit = 8
    /// The events a timeline lists from each end of its window (the start of an incident
    /// and its end); the ones between are counted, not listed.
    public static let timelineEventLimit = 250

    /// What happened on `streams` between `from` and `until`: nonces issued per bucket, by
    /// process and label; the lead of the nonce over the wall clock; the events; the figures
    /// `nonce stats` shows. What `nonce timeline` draws.
    ///
    /// The database sums the buckets from its per-second rollup of the history
    /// (`history_seconds`, kept for every writer and by `prune`), so the time this takes
    /// follows the seconds in the window, and the timeline's size its buckets, never the
    /// number of nonces.
    ///
    /// ```swift
    /// let now = SystemClock().now()
    /// let hour = try inspector.timeline(from: now - 3_600_000_000_000, until: now)
    /// try TimelinePage(hour).html.write(toFile: "timeline.html", atomically: true, encoding: .utf8)
    /// ```
    ///
    /// - Parameters:
    ///   - streams: the streams, in this order; empty for every stream, by name.
    ///   - from: the window's start, nanoseconds since the epoch.
    ///   - until: its end (excluded).
    ///   - buckets: about how many buckets to cut it into (1 to 1,000): each is a whole
    ///     number of seconds wide (1 s, 2 s, 5 s, ..., 1 h, ..., days), at least
    ///     `(until - from) / buckets`, and the window widens to whole buckets.
    /// - Throws: `NonceStoreError` `.streamNotFound`; `.invalidArgument` for an empty
    ///   window or a bucket count out of range; `.readFailed`.
    public func timeline(streams: [String] = [], from: Int64, until: Int64, buckets: Int = 120) throws(NonceStoreError) -> NonceTimeline {
        let window = try TimelineWindow(from: from, until: until, buckets: buckets)
        return try NonceStoreError.only(.readFailed, database: store.path) {
            let names = streams.isEmpty ? try store.streams().map(\.name) : Self.unique(streams.map(StreamName.normalized))
            let timelines = try names.map { name in
                guard let record = try store.stream(named: name) else { throw NonceStoreError.streamNotFound(name, path: store.path) }
                let stats = try NonceManager.stats(of: name, in: store, clock: clock)
                let records = try store.timeline(TimelineQuery(
                    streamID: record.id, startSecond: window.startSecond, bucketSeconds: window.bucketSeconds,
                    bucketCount: window.bucketCount, eventLimit: Self.timelineEventLimit))
                return StreamTimeline(name: name, stats: stats, unit: record.rules.unit, window: window, records: records,
                                      seriesLimit: Self.timelineSeriesLimit)
            }
            return NonceTimeline(from: window.from, until: window.until, bucketNanoseconds: window.bucketSeconds * 1_000_000_000,
                                 generatedAt: clock.now(), database: store.path, streams: timelines)
        }
    }

    private static func unique(_ names: [String]) -> [String] {
        var seen = Set<String>()
        return names.filter { seen.insert($0).inserted }
    }
}

extension StreamTimeline {
    /// A (pid, label) pair.
    private struct Pair: Hashable {
        var pid: Int32
        var label: String?
    }

    /// The stream's part from what the database summed: the `seriesLimit` pairs that issued
    /// most keep a series each (ties by pid, then label byte by byte, so every backend picks
    /// the same), the rest are summed into one.
    init(name: String, stats: NonceStats, unit: NonceUnit, window: TimelineWindow, records: TimelineRecords, seriesLimit: Int) {
        var totals: [Pair: Int64] = [:]
        for group in records.groups { totals[Pair(pid: group.pid, label: group.label), default: 0] += group.issued }
        let ranked = totals.sorted { a, b in
            if a.value != b.value { return a.value > b.value }
            if a.key.pid != b.key.pid { return a.key.pid < b.key.pid }
            return (a.key.label ?? "").utf8.lexicographicallyPrecedes((b.key.label ?? "").utf8)
        }
        var series = ranked.prefix(seriesLimit).map { TimelineSeries(pid: $0.key.pid, label: $0.key.label, issued: $0.value) }
        let column = Dictionary(uniqueKeysWithValues: ranked.prefix(seriesLimit).enumerated().map { ($0.element.key, $0.offset) })
        if ranked.count > seriesLimit {
            series.append(TimelineSeries(pid: nil, label: nil, issued: ranked.dropFirst(seriesLimit).reduce(0) { $0 + $1.value },
                                         others: ranked.count - seriesLimit))
        }
        // Per bucket: nonces per series (the rest last), the largest nonce and issue time.
        let width = series.count
        var counts = [Int64](repeating: 0, count: window.bucketCount * max(width, 1))
        var tops = [(nonce: Int64, at: Int64)?](repeating: nil, count: window.bucketCount)
        for group in records.groups where (0..<window.bucketCount).contains(group.bucket) {
            counts[group.bucket * width + (column[Pair(pid: group.pid, label: group.label)] ?? width - 1)] += group.issued
            let top = tops[group.bucket]
            tops[group.bucket] = (max(top?.nonce ?? .min, group.maxNonce), max(top?.at ?? .min, group.maxIssuedAt))
        }
        let buckets = (0..<window.bucketCount).map { index in
            let shares = (0..<width).compactMap { column -> TimelineSeries? in
                let issued = counts[index * width + column]
                guard issued > 0 else { return nil }
                var share = series[column]
                share.issued = issued
                return share
            }
            let top = tops[index]
            return TimelineBucket(
                start: window.start(of: index), end: window.start(of: index + 1), issued: shares.reduce(0) { $0 + $1.issued },
                issuedBy: shares, maxNonce: top?.nonce, lastIssuedAt: top?.at,
                leadNanoseconds: top.map { Self.lead(nonce: $0.nonce, issuedAt: $0.at, unit: unit) })
        }
        self.init(stream: name, stats: stats, issued: series.reduce(0) { $0 + $1.issued }, series: series, buckets: buckets,
                  events: records.events.map { TimelineEvent(at: $0.at, kind: $0.kind, detail: $0.detail, floor: $0.floor) },
                  eventsInWindow: records.eventsInWindow)
    }

    /// How far `nonce` was ahead of the clock at `issuedAt`, in nanoseconds, counted in
    /// whole steps of `unit` as ``NonceStats/leadOverClockNanoseconds`` is.
    static func lead(nonce: Int64, issuedAt: Int64, unit: NonceUnit) -> Int64 {
        let (steps, overflow) = nonce.subtractingReportingOverflow(unit.steps(ofNanoseconds: issuedAt))
        return unit.duration(ofSteps: overflow ? (issuedAt < 0 ? .max : .min) : steps).wholeNanoseconds
    }
}
