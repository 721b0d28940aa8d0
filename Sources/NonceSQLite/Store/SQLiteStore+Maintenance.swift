#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
package import NonceBackend

extension SQLiteStore {
    /// The sizes of the database file and its write-ahead log.
    package func fileSizes() -> StoreFileSizes {
        StoreFileSizes(database: Self.size(of: path), wal: Self.size(of: path + "-wal"))
    }

    /// Deletes history rows of `stream`: those issued before `issuedBefore` (nanoseconds
    /// since the epoch), and all but the newest `keep`. Either may be nil.
    ///
    /// Only history goes: the stream's state (last nonce, high-water mark, counters), which
    /// is what keeps nonces increasing, is never touched, so pruning cannot make a nonce
    /// repeat. Rows go in chunks of `chunk`, each its own short transaction, so issuing
    /// processes wait at most one chunk for the write lock. A `prune` event records it.
    @discardableResult
    package func pruneHistory(stream name: String, issuedBefore: Int64?, keep: Int64?, chunk: Int = 20_000) throws -> PruneResult {
        guard let record = try stream(named: name) else { throw NonceStoreError.streamNotFound(name, path: path) }
        // The cutoff for `keep`: history nonces increase in issue order, so the newest rows
        // are the largest nonces, found through the (stream_id, nonce) index.
        let keepBelow: Int64? = try keep.flatMap { keep in
            guard keep > 0 else { return Int64.max }
            return try withConnection { connection in
                try connection.cachedStatement("SELECT nonce FROM history WHERE stream_id = ? ORDER BY nonce DESC LIMIT 1 OFFSET ?")
                    .rows([.integer(record.id), .integer(keep - 1)]) { $0.int64(at: 0) }.first
            }
        }
        var deleted: Int64 = 0
        do {
            if let issuedBefore {
                deleted += try deleteInChunks(chunk: chunk, """
                    DELETE FROM history WHERE id IN (SELECT id FROM history WHERE stream_id = ? AND issued_at < ? LIMIT ?)
                    """, [.integer(record.id), .integer(issuedBefore)])
            }
            if let keepBelow {
                deleted += try deleteInChunks(chunk: chunk, """
                    DELETE FROM history WHERE id IN (SELECT id FROM history WHERE stream_id = ? AND nonce < ? LIMIT ?)
                    """, [.integer(record.id), .integer(keepBelow)])
            }
            let remaining = try historySummary(stream: name).count
            if deleted > 0 {
                try write(durable: false) { connection in
                    try connection.cachedStatement("INSERT INTO events (stream_id, at, kind, detail) VALUES (?, ?, ?, ?)")
                        .execute([.integer(record.id), .integer(WallClock.nanoseconds()), .text(EventKind.prune.rawValue),
                                  .text("deleted \(deleted) history row(s), \(remaining) left")])
                }
            }
            return PruneResult(stream: name, deleted: deleted, remaining: remaining)
        } catch let error as DatabaseError {
            throw NonceStoreError.writeFailed(path: path, reason: Self.explain(error), cause: error)
        }
    }

    /// Runs `sql` (whose last parameter is the chunk size) until it deletes nothing.
    private func deleteInChunks(chunk: Int, _ sql: String, _ values: [DatabaseValue]) throws -> Int64 {
        var total: Int64 = 0
        while true {
            let deleted = try write(durable: false) { connection in
                try connection.cachedStatement(sql).execute(values + [.integer(Int64(chunk))])
                return try connection.scalarInt64("SELECT changes()") ?? 0
            }
            total += deleted
            if deleted < chunk { return total }
        }
    }

    /// Copies what it can of the write-ahead log into the database without waiting for
    /// anyone (a `PASSIVE` checkpoint), so it never stalls issuing. Once a checkpoint has
    /// copied everything, the next write restarts the log from its beginning and trims the
    /// file to `journal_size_limit` (16 MiB): that is what keeps the file bounded.
    ///
    /// - Returns: true when every frame was copied; false when a reader's snapshot still
    ///   needs some (a long-lived reader, such as an open `sqlite3` shell, starves checkpoints).
    @discardableResult
    /// Checkpoints once the log has passed ``walSizeLimit``: a reader may have held off the
    /// automatic checkpoints, and a log that keeps growing slows every read.
    package func checkpointIfDue() throws -> Bool? {
        fileSizes().wal > Self.walSizeLimit ? try checkpoint() : nil
    }

    package func checkpoint() throws -> Bool {
        try withConnection { connection in
            // Row: busy flag, frames in the log, frames checkpointed.
            let row = try connection.prepare("PRAGMA wal_checkpoint(PASSIVE)").rows { ($0.int64(at: 1), $0.int64(at: 2)) }.first
            return row.map { $0.0 == $0.1 } ?? true
        }
    }

    private static func size(of path: String) -> Int64 {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : 0
    }
}
