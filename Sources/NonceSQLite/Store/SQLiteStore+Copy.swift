package import NonceBackend

extension SQLiteStore {
    package func receiveCopy(of record: StreamRecord, floor: Int64, history: [HistoryEntry], detail: String) throws -> CopyCommit {
        try Self.validate(streamName: record.name)
        return try write(durable: true) { connection, held in
            let now = WallClock.nanoseconds()
            let target = try Self.createStreamIfMissing(named: record.name, mode: record.mode, rules: record.rules, floor: floor, path: path, on: connection)
            guard target.mode == record.mode else {
                throw NonceStoreError.modeMismatch(stream: record.name, actual: target.mode, requested: record.mode)
            }
            // Held past the commit: no process issues here meanwhile.
            try held.claim(target)
            let before = target.floor
            let (floor, history) = try target.rules.receiving(floor: floor, history: history, from: record.rules, stream: record.name)
            let rows = history.filter { Int64(clamping: $0.nonce) > before }.sorted { $0.nonce < $1.nonce }
            let insert = try connection.cachedStatement(
                "INSERT INTO history (stream_id, nonce, issued_at, pid, label) VALUES (?, ?, ?, ?, ?)")
            for row in rows {
                try insert.execute([.integer(target.id), .integer(Int64(clamping: row.nonce)), .integer(row.issuedAt),
                                    .integer(Int64(row.pid)), row.label.map { .text($0) } ?? .null])
            }
            let top = rows.last.map { Int64(clamping: $0.nonce) } ?? 0
            let after = max(before, floor, top)
            try connection.cachedStatement("""
                UPDATE streams SET high_water_mark = max(high_water_mark, ?), last_issued = max(last_issued, ?), updated_at = ?
                WHERE id = ?
                """).execute([.integer(after), .integer(top), .integer(now), .integer(target.id)])
            try connection.cachedStatement("INSERT INTO events (stream_id, at, kind, detail, floor) VALUES (?, ?, ?, ?, ?)")
                .execute([.integer(target.id), .integer(now), .text(EventKind.copy.rawValue), .text(
                    "\(detail); floor \(after > before ? "raised from \(before) to \(after)" : "unchanged at \(before)"), "
                        + "\(rows.count) history row(s) added"), after > 0 ? .integer(after) : .null])
            return CopyCommit(floorBefore: before, floorAfter: after, historyRows: rows.count)
        }
    }
}
