#if PostgreSQL  // Without the trait this module is empty and builds no network stack.
package import NonceBackend

extension PostgresStore {
    /// A stream's window from `history_seconds` and `events`, in one snapshot (as ``verify(stream:)``
    /// reads): ranges of a primary key and an index, so the time follows the seconds and
    /// events in the window, never the history's rows; what comes back is one row per
    /// bucket, process and label.
    package func timeline(_ query: TimelineQuery) throws -> TimelineRecords {
        try session.transaction(durable: false, within: location.maintenanceReplyLimit) { connection in
            try connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            let groups = try connection.query("""
                SELECT (second - $2) / $4 AS bucket, pid, label, sum(issued)::bigint, max(max_nonce), max(max_issued_at)
                FROM history_seconds WHERE stream_id = $1 AND second >= $2 AND second < $3
                GROUP BY bucket, pid, label
                """, [.integer(query.streamID), .integer(query.startSecond), .integer(query.endSecond),
                      .integer(query.bucketSeconds)]).map { row in
                TimelineRecords.Group(
                    bucket: Int(try row.column(0, as: Int64.self)), pid: try row.column(1), label: Self.rollupLabel(try row.column(2)),
                    issued: try row.column(3), maxNonce: try row.column(4), maxIssuedAt: try row.column(5))
            }
            let (events, count) = try Self.timelineEvents(query, on: connection)
            return TimelineRecords(groups: groups, events: events, eventsInWindow: count)
        }
    }

    /// The window's events: all of them, or the first and the last `eventLimit` when there
    /// are more, in time order.
    private static func timelineEvents(_ query: TimelineQuery, on connection: PostgresTransaction) throws -> ([TimelineRecords.Event], Int64) {
        let window: [PostgresValue] = [.integer(query.streamID), .integer(query.startSecond * 1_000_000_000),
                                       .integer(query.endSecond * 1_000_000_000)]
        let count = try connection.query("SELECT count(*) FROM events WHERE stream_id = $1 AND at >= $2 AND at < $3", window)[0]
            .column(0, as: Int64.self)
        let limit = Int64(query.eventLimit)
        func read(_ order: String, _ limit: Int64) throws -> [TimelineRecords.Event] {
            try connection.query("""
                SELECT at, kind, detail, floor FROM events WHERE stream_id = $1 AND at >= $2 AND at < $3
                ORDER BY at \(order), id \(order) LIMIT $4
                """, window + [.integer(limit)]).map { row in
                TimelineRecords.Event(at: try row.column(0), kind: try row.column(1), detail: try row.column(2),
                                      floor: try row.column(3, as: Int64?.self))
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
#endif
