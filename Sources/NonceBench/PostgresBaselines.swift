#if PostgreSQL
import NonceBackend
import NoncePostgres

/// The bare forms of what the PostgreSQL backend does, run on the same server in the same
/// schema: what its figures are measured against.
enum PostgresBaselines {
    /// One shared nonce's writes (raise the stream row, insert the history row) as one
    /// statement in its own transaction, with nothing around it: no function, no checks, no
    /// repair. Runs `count` of them; returns seconds.
    static func sharedLoop(on store: PostgresStore, streamID: Int64, count: Int) throws -> Double {
        let start = ContinuousClock.now
        for _ in 0..<count {
            try store.execute("""
                WITH s AS (UPDATE streams SET last_issued = last_issued + 1, high_water_mark = last_issued + 1,
                                              issued_total = issued_total + 1
                           WHERE id = $1 RETURNING id, last_issued)
                INSERT INTO history (stream_id, nonce, issued_at, pid) SELECT id, last_issued, last_issued, 1 FROM s
                """, [.integer(streamID)])
        }
        return (ContinuousClock.now - start).seconds
    }

    /// An exclusive stream's history, bare: `rows` rows in batches of 8,192, each one
    /// `INSERT ... SELECT FROM unnest(...)` in its own transaction, with nothing else.
    static func historyInsert(on store: PostgresStore, streamID: Int64, rows: Int) throws -> Double {
        var nonce = WallClock.nanoseconds() - Int64(rows)
        let start = ContinuousClock.now
        var written = 0
        while written < rows {
            let batch = min(8_192, rows - written)
            let nonces = (0..<batch).map { nonce + 1 + Int64($0) }
            nonce += Int64(batch)
            // The same rows as the engine's unlabelled batches: nonce and time arrays.
            try store.execute("""
                INSERT INTO history (stream_id, nonce, issued_at, pid)
                SELECT $1, r.nonce, r.issued_at, 1 FROM unnest($2::bigint[], $3::bigint[]) AS r(nonce, issued_at)
                """, [.integer(streamID), .integers(nonces), .integers(nonces)], durable: false)
            written += batch
        }
        return (ContinuousClock.now - start).seconds
    }
}
#endif
