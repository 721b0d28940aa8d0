package import NonceBackend
extension SQLiteStore {
    /// The newest `limit` history rows of `stream`, newest first.
    package func history(stream: String, limit: Int) throws -> [HistoryEntry] {
        try withReadConnection { connection in
            try connection.cachedStatement("""
                SELECT s.name, h.nonce, h.issued_at, h.pid, h.label
                FROM history AS h JOIN streams AS s ON s.id = h.stream_id
                WHERE s.name = ? ORDER BY h.id DESC LIMIT ?
                """).rows([.text(stream), .integer(Int64(limit))]) { row in
                HistoryEntry(
                    stream: row.text(at: 0) ?? "", nonce: UInt64(clamping: row.int64(at: 1)), issuedAt: row.int64(at: 2),
                    pid: Int32(truncatingIfNeeded: row.int64(at: 3)), label: row.text(at: 4))
            }
        }
    }

    /// How many history rows `stream` has, and the largest nonce among them.
    package func historySummary(stream: String) throws -> (count: Int64, maximum: Int64?) {
        try withReadConnection { connection in
            let statement = try connection.cachedStatement("""
                SELECT count(*), max(h.nonce) FROM history AS h JOIN streams AS s ON s.id = h.stream_id
                WHERE s.name = ?
                """)
            defer { statement.reset() }
            try statement.bind([.text(stream)])
            _ = try statement.step()
            return (statement.int64(at: 0), statement.optionalInt64(at: 1))
        }
    }

    /// The newest `limit` events of `stream`, newest first.
    package func events(stream: String, limit: Int) throws -> [EventEntry] {
        try withReadConnection { connection in
            try connection.cachedStatement("""
                SELECT s.name, e.at, e.kind, e.detail
                FROM events AS e JOIN streams AS s ON s.id = e.stream_id
                WHERE s.name = ? ORDER BY e.id DESC LIMIT ?
                """).rows([.text(stream), .integer(Int64(limit))]) { row in
                EventEntry(stream: row.text(at: 0) ?? "", at: row.int64(at: 1), kind: row.text(at: 2) ?? "", detail: row.text(at: 3) ?? "")
            }
        }
    }
}
