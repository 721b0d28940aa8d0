package import NonceBackend
extension SQLiteStore {
    /// Checks the file with SQLite's `integrity_check` and every stream (or just `stream`)
    /// against the invariants the store promises:
    /// - history nonces are unique and strictly increasing in issue order;
    /// - the largest history nonce <= `last_issued` <= the high-water mark.
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
        var problems: [String] = []
        if record.lastIssued > record.highWaterMark {
            problems.append("last_issued \(record.lastIssued) is above the high-water mark \(record.highWaterMark)")
        }
        let summary = try connection.prepare("""
            SELECT count(*), count(DISTINCT nonce), max(nonce), min(nonce) FROM history WHERE stream_id = ?
            """)
        try summary.bind([.integer(record.id)])
        _ = try summary.step()
        let count = summary.int64(at: 0), distinct = summary.int64(at: 1)
        if distinct != count {
            problems.append("history holds \(count - distinct) duplicate nonce(s)")
        }
        if let maximum = summary.optionalInt64(at: 2), maximum > record.lastIssued {
            problems.append("history holds nonce \(maximum), above last_issued \(record.lastIssued)")
        }
        if let minimum = summary.optionalInt64(at: 3), minimum <= 0 {
            problems.append("history holds a non-positive nonce \(minimum)")
        }
        // Issue order is rowid order; each nonce must exceed the one issued before it.
        let order = try connection.prepare("""
            SELECT count(*), min(id) FROM (
                SELECT id, nonce, lag(nonce) OVER (ORDER BY id) AS previous
                FROM history WHERE stream_id = ?
            ) WHERE nonce <= previous
            """)
        try order.bind([.integer(record.id)])
        _ = try order.step()
        let outOfOrder = order.int64(at: 0)
        if outOfOrder > 0 {
            problems.append("history is not strictly increasing in issue order: \(outOfOrder) row(s) "
                + "not above their predecessor, first at history id \(order.int64(at: 1))")
        }
        return (count, problems)
    }
}
