#if PostgreSQL  // Without the trait this module is empty and builds no network stack.
package import NonceBackend

extension PostgresStore {
    /// Deletes history rows in chunks of `chunk`, each its own transaction, so issuing
    /// goes on meanwhile. The stream's state is never touched.
    @discardableResult
    package func pruneHistory(stream name: String, issuedBefore: Int64?, keep: Int64?, chunk: Int) throws -> PruneResult {
        guard let record = try stream(named: name) else { throw NonceStoreError.streamNotFound(name, path: path) }
        let keepBelow: Int64? = try keep.flatMap { keep in
            guard keep > 0 else { return Int64.max }
            return try session.query("SELECT nonce FROM history WHERE stream_id = $1 ORDER BY nonce DESC LIMIT 1 OFFSET $2",
                                     [.integer(record.id), .integer(keep - 1)], within: location.maintenanceReplyLimit).first?.column(0, as: Int64.self)
        }
        var deleted: Int64 = 0
        if let issuedBefore {
            deleted += try deleteInChunks("issued_at < $2", record.id, issuedBefore, chunk)
        }
        if let keepBelow {
            deleted += try deleteInChunks("nonce < $2", record.id, keepBelow, chunk)
        }
        let remaining = try session.query("SELECT count(*) FROM history WHERE stream_id = $1", [.integer(record.id)], within: location.maintenanceReplyLimit)[0]
            .column(0, as: Int64.self)
        if deleted > 0 {
            try session.transaction(durable: false) { connection in
                try insertEvent(streamID: record.id, at: WallClock.nanoseconds(), kind: .prune,
                                detail: "deleted \(deleted) history row(s), \(remaining) left", on: connection)
            }
        }
        return PruneResult(stream: name, deleted: deleted, remaining: remaining)
    }

    private func deleteInChunks(_ condition: String, _ streamID: Int64, _ bound: Int64, _ chunk: Int) throws -> Int64 {
        var total: Int64 = 0
        while true {
            let deleted = try session.query("""
                WITH gone AS (
                    DELETE FROM history WHERE id IN (SELECT id FROM history WHERE stream_id = $1 AND \(condition) LIMIT $3)
                    RETURNING 1)
                SELECT count(*) FROM gone
                """, [.integer(streamID), .integer(bound), .integer(Int64(chunk))], within: location.maintenanceReplyLimit)[0].column(0, as: Int64.self)
            total += deleted
            if deleted < Int64(chunk) { return total }
        }
    }

    /// The server manages its own write-ahead log.
    @discardableResult
    package func checkpoint() throws -> Bool { true }

    /// The server checkpoints its own log.
    package func checkpointIfDue() throws -> Bool? { nil }

    /// The schema's tables and indexes on disk; the server's WAL is not the store's.
    package func fileSizes() -> StoreFileSizes {
        let bytes = try? session.query("""
            SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class AS c
            JOIN pg_namespace AS n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'
            """, [.text(location.schema)]).first?.column(0, as: Int64.self)
        return StoreFileSizes(database: bytes ?? 0, wal: 0)
    }
}
#endif
