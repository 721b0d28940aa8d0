package import NonceBackend

extension SQLiteStore {
    /// A stream's window from `history_seconds` and `events`, in one read transaction. Each
    /// query walks the window's range of a primary key or index, so the time follows the
    /// seconds (and events) in the window, never the history's rows; what comes back is one
    /// row per bucket, process and label.
    package func timeline(_ query: TimelineQuery) throws -> TimelineRecords {
        try withReadConnection { connection in
            try connection.transaction(.deferred) {
                let groups = try connection.cachedStatement("""
                    SELECT (second - ?2) / ?4 AS bucket, pid, label, sum(issued), max(max_nonce), max(max_issued_at)
                    FROM history_seconds WHERE stream_id = ?1 AND second >= ?2 AND second < ?3
                    GROUP BY bucket, pid, label
                    """).rows([.integer(query.streamID), .integer(query.startSecond), .integer(query.endSecond),
                               .integer(query.bucketSeconds)]) { row in
                    TimelineRecords.Group(
                        bucket: Int(row.int64(at: 0)), pid: Int32(truncatingIfNeeded: row.int64(at: 1)),
                        label: Self.rollupLabel(row.text(at: 2)), issued: row.int64(at: 3), maxNonce: row.int64(at: 4),
                        maxIssuedAt: row.int64(at: 5))
                }
                let (events, count) = try Self.timelineEvents(query, on: connection)
                return TimelineRecords(groups: groups, events: events, eventsInWindow: count)
            }
        }
    }

    /// The window's events: all of them, or the first and the last `eventLimit` when there
    /// are more (the start of an incident and its end), in time order.
    private static func timelineEvents(_ query: TimelineQuery, on connection: Connection) throws -> ([TimelineRecords.Event], Int64) {
        let window: [DatabaseValue] = [.integer(query.streamID), .integer(query.startSecond * 1_000_000_000),
                                       .integer(query.endSecond * 1_000_000_000)]
        let count = try connection.scalarInt64("SELECT count(*) FROM events WHERE stream_id = ?1 AND at >= ?2 AND at < ?3", window) ?? 0
        let limit = Int64(query.eventLimit)
        func read(_ order: String, _ limit: Int64) throws -> [TimelineRecords.Event] {
            try connection.cachedStatement("""
                SELECT at, kind, detail, floor FROM events WHERE stream_id = ?1 AND at >= ?2 AND at < ?3
                ORDER BY at \(order), id \(order) LIMIT ?4
                """).rows(window + [.integer(limit)]) { row in
                TimelineRecords.Event(at: row.int64(at: 0), kind: row.text(at: 1) ?? "", detail: row.text(at: 2) ?? "",
                                      floor: row.optionalInt64(at: 3))
            }
        }
        guard count > 2 * limit else { return (try read("ASC", 2 * limit), count) }
        return (try read("ASC", limit) + read("DESC", limit).reversed(), count)
    }

    /// The rollup keeps '' for no label.
    private static func rollupLabel(_ text: String?) -> String? {
        text.flatMap { $0.isEmpty ? nil : $0 }
    }
}
