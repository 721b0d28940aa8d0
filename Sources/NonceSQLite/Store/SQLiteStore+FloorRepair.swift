package import NonceBackend
extension SQLiteStore {
    /// The largest floor a stream's records hold besides its state row: its history's largest
    /// nonce and the largest floor an event set (a jump, an import, a copy, a repair). One
    /// seek each, on `history_stream_nonce` and `events_stream_floor`.
    static func largestRecordedFloor(streamID: Int64, on connection: Connection) throws -> Int64? {
        try connection.cachedStatement("""
            SELECT max(coalesce((SELECT max(nonce) FROM history WHERE stream_id = ?1), 0),
                       coalesce((SELECT max(floor) FROM events WHERE stream_id = ?1 AND floor IS NOT NULL), 0))
            """).rows([.integer(streamID)]) { $0.optionalInt64(at: 0) }.first.flatMap { $0 }.flatMap { $0 > 0 ? $0 : nil }
    }

    /// Brings a stream's floor up to its history when the state row says less (lowered by
    /// hand, or by a damaged page): `last_issued` becomes the history's largest nonce,
    /// `floor_repairs` counts it and a `floor_repair` event says what disagreed. Called under
    /// the stream's claim, before the first nonce; shared streams repair the same way in the
    /// SQL contract's trigger on every nonce.
    ///
    /// - Returns: what was repaired, or nil when the state row already covered the history.
    package func repairFloor(streamID: Int64) throws -> FloorRepair? {
        // Read first: the records almost always agree, and then start-up takes no turn at
        // the write lock for this. The write transaction checks again before it repairs.
        let needed = try withReadConnection { connection in
            guard let record = try connection.cachedStatement("SELECT \(Self.streamColumns) FROM streams WHERE id = ?")
                .rows([.integer(streamID)], Self.decodeStream).first,
                  let top = try Self.largestRecordedFloor(streamID: streamID, on: connection)
            else { return false }
            return top > record.floor
        }
        guard needed else { return nil }
        return try writeTransaction(durable: true) { connection in
            guard let record = try connection.cachedStatement("SELECT \(Self.streamColumns) FROM streams WHERE id = ?")
                .rows([.integer(streamID)], Self.decodeStream).first,
                  let top = try Self.largestRecordedFloor(streamID: streamID, on: connection), top > record.floor
            else { return nil }
            try connection.cachedStatement("UPDATE streams SET last_issued = ?, floor_repairs = floor_repairs + 1 WHERE id = ?")
                .execute([.integer(top), .integer(streamID)])
            try connection.cachedStatement("INSERT INTO events (stream_id, at, kind, detail, floor) VALUES (?, ?, ?, ?, ?)")
                .execute([.integer(streamID), .integer(WallClock.nanoseconds()), .text(EventKind.floorRepair.rawValue), .text(
                    "history and events record \(top), above last_issued \(record.lastIssued) and the high-water mark "
                        + "\(record.highWaterMark): issuing continues above \(top)"), .integer(top)])
            return FloorRepair(stream: record.name, stateFloor: record.floor, historyFloor: top)
        }
    }

    /// History, and floors recorded in events, left by streams whose row is gone: each such
    /// stream id with its largest nonce or floor. Walks the distinct stream ids of
    /// `history_stream_nonce` (one seek per stream), not the rows; events are few.
    static func orphanedHistory(on connection: Connection) throws -> OrphanedHistory {
        let history = try connection.cachedStatement("""
            WITH RECURSIVE ids(id) AS (
                SELECT min(stream_id) FROM history
                UNION ALL
                SELECT (SELECT min(stream_id) FROM history WHERE stream_id > ids.id) FROM ids WHERE ids.id IS NOT NULL
            )
            SELECT ids.id, (SELECT max(nonce) FROM history WHERE stream_id = ids.id) FROM ids
            WHERE ids.id IS NOT NULL AND ids.id NOT IN (SELECT id FROM streams)
            """).rows([]) { ($0.int64(at: 0), $0.int64(at: 1)) }
        let events = try connection.cachedStatement("""
            SELECT stream_id, max(floor) FROM events
            WHERE floor IS NOT NULL AND stream_id NOT IN (SELECT id FROM streams) GROUP BY stream_id
            """).rows([]) { ($0.int64(at: 0), $0.int64(at: 1)) }
        return OrphanedHistory(history: history, events: events)
    }

    /// Creates stream `name` inside the caller's transaction, unless it exists.
    ///
    /// History whose stream row is gone (deleted by hand, or lost to a damaged page) stops
    /// a stream from being created from the clock, which may be below nonces the exchange
    /// has seen: only a creation with a `floor` at or above that history's largest nonce
    /// (a legacy import) goes ahead, and the new stream adopts that history.
    ///
    /// - Returns: the stream's record, new or existing.
    static func createStreamIfMissing(
        named name: String, mode: StreamMode, rules: StreamRules = .nanoseconds, floor: Int64?, path: String, on connection: Connection
    ) throws -> StreamRecord {
        let select = try connection.cachedStatement("SELECT \(streamColumns) FROM streams WHERE name = ?")
        if let existing = try select.rows([.text(name)], decodeStream).first { return existing }
        let orphans = try orphanedHistory(on: connection)
        try orphans.allowCreating(name, floor: floor, path: path)
        let now = WallClock.nanoseconds()
        try connection.cachedStatement("""
            INSERT INTO streams (name, mode, created_at, updated_at, unit, max_nonce, exchange) VALUES (?, ?, ?, ?, ?, ?, ?)
            """).execute([.text(name), .text(mode.rawValue), .integer(now), .integer(now), .text(rules.unit.rawValue),
                          rules.maxNonce.map { .integer($0) } ?? .null, rules.exchange.map { .text($0) } ?? .null])
        guard let record = try select.rows([.text(name)], decodeStream).first else {
            throw NonceStoreError.streamNotFound(name, path: path)
        }
        guard let top = orphans.top else { return record }
        let adopt = try connection.cachedStatement("UPDATE history SET stream_id = ? WHERE stream_id = ?")
        let adoptEvents = try connection.cachedStatement("UPDATE events SET stream_id = ? WHERE stream_id = ?")
        // The rollup's rows go with the history; merged, since two orphans may share a second.
        let adoptSeconds = try connection.cachedStatement("""
            INSERT INTO history_seconds (stream_id, second, pid, label, issued, max_nonce, max_issued_at)
            SELECT ?1, second, pid, label, issued, max_nonce, max_issued_at FROM history_seconds WHERE stream_id = ?2
            ON CONFLICT (stream_id, second, pid, label) DO UPDATE
               SET issued = issued + excluded.issued, max_nonce = max(max_nonce, excluded.max_nonce),
                   max_issued_at = max(max_issued_at, excluded.max_issued_at)
            """)
        let dropSeconds = try connection.cachedStatement("DELETE FROM history_seconds WHERE stream_id = ?")
        // The new row may take the id of the row that was lost (SQLite reuses the largest):
        // its records are then the new stream's already.
        for orphan in orphans.streams where orphan.id != record.id {
            try adopt.execute([.integer(record.id), .integer(orphan.id)])
            try adoptEvents.execute([.integer(record.id), .integer(orphan.id)])
            try adoptSeconds.execute([.integer(record.id), .integer(orphan.id)])
            try dropSeconds.execute([.integer(orphan.id)])
        }
        try connection.cachedStatement("UPDATE streams SET last_issued = ?, high_water_mark = max(high_water_mark, ?) WHERE id = ?")
            .execute([.integer(top), .integer(top), .integer(record.id)])
        try connection.cachedStatement("INSERT INTO events (stream_id, at, kind, detail, floor) VALUES (?, ?, ?, ?, ?)")
            .execute([.integer(record.id), .integer(now), .text(EventKind.historyAdopted.rawValue),
                      .text(orphans.adoptionDetail), .integer(top)])
        return try select.rows([.text(name)], decodeStream).first ?? record
    }
}

extension SQLiteStore {
    /// The latest wall-clock reading any process recorded for a stream: its `updated_at` and
    /// the `issued_at` of its newest history row (one seek on `history_stream_nonce`).
    package func lastClockReading(streamID: Int64) throws -> Int64 {
        try withReadConnection { connection in
            try connection.cachedStatement("""
                SELECT max(s.updated_at, coalesce((SELECT h.issued_at FROM history AS h WHERE h.stream_id = s.id
                                                   ORDER BY h.nonce DESC LIMIT 1), 0))
                FROM streams AS s WHERE s.id = ?
                """).rows([.integer(streamID)]) { $0.int64(at: 0) }.first ?? 0
        }
    }

    /// Records that a process starts with its clock behind what earlier processes recorded
    /// for the stream: counted in `clock_regressions`, with a `clock_regression` event.
    package func recordClockBehind(streamID: Int64, now: Int64, recorded: Int64, pid: Int32) throws {
        try writeTransaction(durable: false) { connection in
            try connection.cachedStatement("UPDATE streams SET clock_regressions = clock_regressions + 1 WHERE id = ?")
                .execute([.integer(streamID)])
            try connection.cachedStatement("INSERT INTO events (stream_id, at, kind, detail) VALUES (?, ?, ?, ?)")
                .execute([.integer(streamID), .integer(now), .text(EventKind.clockRegression.rawValue), .text(
                    "process \(pid) started with its clock \(recorded - now) ns behind the latest clock reading recorded "
                        + "for the stream (\(recorded)): a host with a wrong clock; nonces continue above the floor")])
        }
    }
}
