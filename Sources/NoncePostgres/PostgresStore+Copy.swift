#if PostgreSQL  // Without the trait this module is empty and builds no network stack.
package import NonceBackend

extension PostgresStore {
    package func receiveCopy(of record: StreamRecord, floor: Int64, history: [HistoryEntry], detail: String) throws -> CopyCommit {
        if let reason = StreamName.problem(with: record.name) { throw NonceStoreError.invalidStreamName(record.name, reason: reason) }
        return try session.transaction(durable: true, within: location.maintenanceReplyLimit) { connection in
            let now = WallClock.nanoseconds()
            let created = try createStreamIfMissing(named: record.name, mode: record.mode, rules: record.rules, floor: floor, on: connection)
            guard created.mode == record.mode else {
                throw NonceStoreError.modeMismatch(stream: record.name, actual: created.mode, requested: record.mode)
            }
            try claimForTransaction(created, on: connection)
            let target = try Self.decodeStream(try connection.query(
                "SELECT \(Self.streamColumns) FROM streams WHERE id = $1 FOR UPDATE", [.integer(created.id)])[0])
            let before = target.floor
            let (floor, history) = try target.rules.receiving(floor: floor, history: history, from: record.rules, stream: record.name)
            let rows = history.filter { Int64(clamping: $0.nonce) > before }.sorted { $0.nonce < $1.nonce }
            if !rows.isEmpty {
                try connection.execute("""
                    INSERT INTO history (stream_id, nonce, issued_at, pid, label)
                    SELECT $1, r.nonce, r.issued_at, r.pid, CASE WHEN r.labelled THEN r.label END
                    FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::boolean[])
                         AS r(nonce, issued_at, pid, label, labelled)
                    """, [
                        .integer(target.id), .integers(rows.map { Int64(clamping: $0.nonce) }), .integers(rows.map(\.issuedAt)),
                        .integers(rows.map { Int64($0.pid) }), .texts(rows.map { $0.label ?? "" }), .flags(rows.map { $0.label != nil }),
                    ])
            }
            let top = rows.last.map { Int64(clamping: $0.nonce) } ?? 0
            let after = max(before, floor, top)
            try connection.execute("""
                UPDATE streams SET high_water_mark = greatest(high_water_mark, $1), last_issued = greatest(last_issued, $2),
                                   updated_at = $3
                WHERE id = $4
                """, [.integer(after), .integer(top), .integer(now), .integer(target.id)])
            try insertEvent(streamID: target.id, at: now, kind: .copy, detail:
                "\(detail); floor \(after > before ? "raised from \(before) to \(after)" : "unchanged at \(before)"), "
                    + "\(rows.count) history row(s) added", floor: after, on: connection)
            return CopyCommit(floorBefore: before, floorAfter: after, historyRows: rows.count)
        }
    }
}
#endif
