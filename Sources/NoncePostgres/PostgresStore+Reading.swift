#if PostgreSQL  // Without the trait this module is empty and builds no network stack.
package import NonceBackend

extension PostgresStore {
    /// A maintenance read: a large `limit` returns many rows, so the wait is the maintenance
    /// bound, not the issuing path's.
    package func history(stream: String, limit: Int) throws -> [HistoryEntry] {
        try session.query("""
            SELECT s.name, h.nonce, h.issued_at, h.pid, h.label
            FROM history AS h JOIN streams AS s ON s.id = h.stream_id
            WHERE s.name = $1 ORDER BY h.id DESC LIMIT $2
            """, [.text(stream), .integer(Int64(limit))], within: location.maintenanceReplyLimit).map { row in
            HistoryEntry(
                stream: try row.column(0), nonce: UInt64(clamping: try row.column(1, as: Int64.self)),
                issuedAt: try row.column(2), pid: try row.column(3), label: try row.column(4))
        }
    }

    package func events(stream: String, limit: Int) throws -> [EventEntry] {
        try session.query("""
            SELECT s.name, e.at, e.kind, e.detail
            FROM events AS e JOIN streams AS s ON s.id = e.stream_id
            WHERE s.name = $1 ORDER BY e.id DESC LIMIT $2
            """, [.text(stream), .integer(Int64(limit))], within: location.maintenanceReplyLimit).map { row in
            EventEntry(stream: try row.column(0), at: try row.column(1), kind: try row.column(2), detail: try row.column(3))
        }
    }

    package func verify(stream: String?) throws -> VerificationReport {
        // One snapshot for every check, as SQLite's read transaction gives.
        try session.transaction(durable: false, within: location.maintenanceReplyLimit) { connection in
            try connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            var records = try connection.query("SELECT \(Self.streamColumns) FROM streams ORDER BY name").map(Self.decodeStream)
            if let stream {
                records = records.filter { $0.name == stream }
                if records.isEmpty { throw NonceStoreError.streamNotFound(stream, path: path) }
            }
            var problems: [VerificationReport.Problem] = []
            var rows: Int64 = 0
            for record in records {
                let (checked, found) = try verifyHistory(of: record, on: connection)
                rows += checked
                problems += found.map { .init(stream: record.name, message: $0) }
            }
            return VerificationReport(streamsChecked: records.map(\.name), historyRowsChecked: rows, problems: problems)
        }
    }

    private func verifyHistory(of record: StreamRecord, on connection: PostgresTransaction) throws -> (Int64, [String]) {
        let summary = try connection.query("""
            SELECT count(*), count(DISTINCT nonce), max(nonce), min(nonce) FROM history WHERE stream_id = $1
            """, [.integer(record.id)])[0]
        // Issue order is id order; each nonce must exceed the one issued before it.
        let order = try connection.query("""
            SELECT count(*), min(id) FROM (
                SELECT id, nonce, lag(nonce) OVER (ORDER BY id) AS previous FROM history WHERE stream_id = $1
            ) AS ordered WHERE nonce <= previous
            """, [.integer(record.id)])[0]
        // Every second of the history is counted by the rollup, at least: pruning leaves the
        // rollup larger, never smaller.
        let rollup = try connection.query("""
            SELECT count(*), min(h.second) FROM (
                SELECT issued_at / 1000000000 AS second, pid, left(coalesce(label, ''), 200) AS label,
                       count(*) AS issued, max(nonce) AS max_nonce
                FROM history WHERE stream_id = $1 GROUP BY 1, 2, 3
            ) AS h LEFT JOIN history_seconds AS r
                ON r.stream_id = $1 AND r.second = h.second AND r.pid = h.pid AND r.label = h.label
            WHERE r.issued IS NULL OR r.issued < h.issued OR r.max_nonce < h.max_nonce
            """, [.integer(record.id)])[0]
        let figures = HistorySummary(count: try summary.column(0), distinct: try summary.column(1),
                                     maximum: try summary.column(2, as: Int64?.self), minimum: try summary.column(3, as: Int64?.self),
                                     outOfOrder: try order.column(0), firstOutOfOrder: try order.column(1, as: Int64?.self),
                                     rollupShort: try rollup.column(0), firstRollupShortSecond: try rollup.column(1, as: Int64?.self))
        return (figures.count, figures.problems(for: record))
    }
}
#endif
