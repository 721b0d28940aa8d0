package import NonceBackend
extension SQLiteStore {
    /// Checks the file with SQLite's `integrity_check` and every stream (or just `stream`)
    /// against the invariants the store promises:
    /// - history nonces are unique and strictly increasing in issue order;
    /// - the largest history nonce <= `last_issued` <= the high-water mark;
    /// - `history_seconds` counts every second of the history, at least.
    package func verify(stream: String? = nil) throws -> VerificationReport {
        try withReadConnection { connection in
            try connection.transaction(.deferred) {
                var problems: [VerificationReport.Problem] = []
                let integrity = try connection.prepare("PRAGMA integrity_check").rows { $0.text(at: 0) ?? "" }
                if integrity != ["ok"] {
                    problems += integrity.map { .init(stream: nil, message: "integrity_check: \($0)") }
                }
                var streams = try connection.cachedStatement("SELECT \(Self.streamColumns) FROM streams ORDER BY name")
                    .rows([], Self.decodeStream)
                if let stream {
                    streams = streams.filter { $0.name == stream }
                    if streams.isEmpty { throw NonceStoreError.streamNotFound(stream, path: path) }
                }
                var rows: Int64 = 0
                for record in streams {
                    let (checked, found) = try Self.verifyHistory(of: record, on: connection)
                    rows += checked
                    problems += found.map { .init(stream: record.name, message: $0) }
                }
                return VerificationReport(streamsChecked: streams.map(\.name), historyRowsChecked: rows, problems: problems)
            }
        }
    }

    private static func verifyHistory(of record: StreamRecord, on connection: Connection) throws -> (Int64, [String]) {
        let summary = try connection.prepare("""
            SELECT count(*), count(DISTINCT nonce), max(nonce), min(nonce) FROM history WHERE stream_id = ?
            """)
        try summary.bind([.integer(record.id)])
        _ = try summary.step()
        // Issue order is rowid order; each nonce must exceed the one issued before it.
        let order = try connection.prepare("""
            SELECT count(*), min(id) FROM (
                SELECT id, nonce, lag(nonce) OVER (ORDER BY id) AS previous
                FROM history WHERE stream_id = ?
            ) WHERE nonce <= previous
            """)
        try order.bind([.integer(record.id)])
        _ = try order.step()
        // Every second of the history is counted by the rollup, at least: pruning leaves the
        // rollup larger, never smaller.
        let rollup = try connection.prepare("""
            SELECT count(*), min(h.second) FROM (
                SELECT issued_at / 1000000000 AS second, pid, substr(coalesce(label, ''), 1, 200) AS label,
                       count(*) AS issued, max(nonce) AS max_nonce
                FROM history WHERE stream_id = ?1 GROUP BY 1, 2, 3
            ) AS h LEFT JOIN history_seconds AS r
                ON r.stream_id = ?1 AND r.second = h.second AND r.pid = h.pid AND r.label = h.label
            WHERE r.issued IS NULL OR r.issued < h.issued OR r.max_nonce < h.max_nonce
            """)
        try rollup.bind([.integer(record.id)])
        _ = try rollup.step()
        let figures = HistorySummary(count: summary.int64(at: 0), distinct: summary.int64(at: 1), maximum: summary.optionalInt64(at: 2),
                                     minimum: summary.optionalInt64(at: 3), outOfOrder: order.int64(at: 0),
                                     firstOutOfOrder: order.optionalInt64(at: 1),
                                     rollupShort: rollup.int64(at: 0), firstRollupShortSecond: rollup.optionalInt64(at: 1))
        return (figures.count, figures.problems(for: record))
    }
}
