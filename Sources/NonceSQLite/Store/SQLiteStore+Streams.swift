package import NonceBackend
extension SQLiteStore {
    static let streamColumns = """
        id, name, mode, last_issued, high_water_mark, issued_total, mark_renewals,
        clock_regressions, jumps, holder_pid, created_at, updated_at, rejections_in_a_row, rejections_total,
        unclean_stops, floor_repairs, unit, max_nonce, exchange
        """

    /// The stream called `name`, or nil when there is none.
    package func stream(named name: String) throws -> StreamRecord? {
        try withReadConnection { connection in
            try connection.cachedStatement("SELECT \(Self.streamColumns) FROM streams WHERE name = ?")
                .rows([.text(name)], Self.decodeStream).first
        }
    }

    /// Every stream, by name.
    package func streams() throws -> [StreamRecord] {
        try withReadConnection { connection in
            try connection.cachedStatement("SELECT \(Self.streamColumns) FROM streams ORDER BY name")
                .rows([], Self.decodeStream)
        }
    }

    /// Returns the stream called `name`, creating it in `mode` when missing.
    ///
    /// - Throws: ``NonceStoreError/modeMismatch(stream:actual:requested:)`` when it exists in
    ///   the other mode.
    package func openStream(named name: String, mode: StreamMode, rules: StreamRules) throws -> StreamRecord {
        try Self.validate(streamName: name)
        // Not synced on its own: the first lease, committed durably right after, syncs it too.
        return try writeTransaction(durable: false) { connection in
            let record = try Self.createStreamIfMissing(named: name, mode: mode, rules: rules, floor: nil, path: path, on: connection)
            guard record.mode == mode else {
                throw NonceStoreError.modeMismatch(stream: name, actual: record.mode, requested: mode)
            }
            return record
        }
    }

    /// Records which process holds the stream (nil when released). Informational only: the
    /// claim itself is a lock that dies with its process.
    ///
    /// A new holder (called under the claim) that finds a previous holder's pid still
    /// recorded knows that holder stopped without releasing the stream (kill -9, a crash,
    /// power loss): the stop is counted in `unclean_stops` with an `unclean_stop` event,
    /// because the nonces it issued in its last history flush interval are in no counter.
    ///
    /// - Returns: the pid of a holder that stopped uncleanly, if one did.
    @discardableResult
    package func setHolder(streamID: Int64, pid: Int32?) throws -> Int32? {
        try writeTransaction(durable: false) { connection in
            let previous = try connection.cachedStatement("SELECT holder_pid FROM streams WHERE id = ?")
                .rows([.integer(streamID)]) { $0.optionalInt64(at: 0) }.first ?? nil
            try connection.cachedStatement("UPDATE streams SET holder_pid = ? WHERE id = ?")
                .execute([pid.map { .integer(Int64($0)) } ?? .null, .integer(streamID)])
            guard pid != nil, let previous else { return nil }
            try connection.cachedStatement("UPDATE streams SET unclean_stops = unclean_stops + 1 WHERE id = ?")
                .execute([.integer(streamID)])
            try connection.cachedStatement("INSERT INTO events (stream_id, at, kind, detail) VALUES (?, ?, ?, ?)")
                .execute([.integer(streamID), .integer(WallClock.nanoseconds()), .text(EventKind.uncleanStop.rawValue), .text(
                    "process \(previous) stopped without releasing the stream; the nonces it issued in its last history "
                        + "flush interval are not in issued_total or the history (their safety is: the mark covered them)")])
            return Int32(truncatingIfNeeded: previous)
        }
    }

    /// Applies `change` in one `BEGIN IMMEDIATE` transaction.
    ///
    /// - Parameter durable: sync the commit to disk (`synchronous=FULL`). Required whenever
    ///   the change raises a high-water mark that a nonce is about to be issued under.
    package func apply(_ change: StreamChange, durable: Bool) throws {
        guard !change.isEmpty else { return }
        try writeTransaction(durable: durable) { connection in
            try Self.apply(change, on: connection)
        }
    }

    package static func apply(_ change: StreamChange, on connection: Connection) throws {
        let now = WallClock.nanoseconds()
        if !change.history.isEmpty {
            try insertHistory(change.history, streamID: change.streamID, pid: Int64(change.pid), on: connection)
        }
        if !change.events.isEmpty {
            let insert = try connection.cachedStatement(
                "INSERT INTO events (stream_id, at, kind, detail, floor) VALUES (?, ?, ?, ?, ?)")
            for event in change.events {
                try insert.execute([.integer(change.streamID), .integer(event.at), .text(event.kind.rawValue), .text(event.detail),
                                    event.floor.map { .integer($0) } ?? .null])
            }
        }
        try connection.cachedStatement("""
            UPDATE streams SET
                high_water_mark   = CASE WHEN ?9 IS NULL THEN max(high_water_mark, coalesce(?2, 0))
                                    ELSE max(?9, last_issued, coalesce(?3, 0)) END,
                last_issued       = max(last_issued, coalesce(?3, 0)),
                issued_total      = issued_total + ?4,
                mark_renewals     = mark_renewals + ?5,
                clock_regressions = clock_regressions + ?6,
                jumps             = jumps + ?7,
                updated_at        = ?8
            WHERE id = ?1
            """).execute([
                .integer(change.streamID),
                change.highWaterMark.map { .integer($0) } ?? .null,
                change.lastIssued.map { .integer($0) } ?? .null,
                .integer(change.issuedDelta),
                .integer(change.markRenewalsDelta),
                .integer(change.clockRegressionsDelta),
                .integer(change.jumpsDelta),
                .integer(now),
                change.releasedHighWaterMark.map { .integer($0) } ?? .null,
            ])
    }

    /// Rows per multi-row INSERT: one statement step carries this many rows, which spares
    /// most of the per-statement work a row-at-a-time insert repeats.
    static let historyRowsPerInsert = 64

    /// Appends `rows` to the history, and counts them in `history_seconds`.
    ///
    /// A batch of at least ``historyRowsPerInsert`` rows is counted here, with one upsert per
    /// second and label, while the connection's triggers are off: the schema's per-row
    /// trigger would halve the batch's speed. Fewer rows (a synchronous writer's one) are left
    /// to the trigger, which costs less than expiring the connection's statements twice.
    /// `history_seconds_count` is the only trigger on `history` (a test keeps it so): one added
    /// later must do its work here too.
    static func insertHistory(_ rows: HistoryRows, streamID: Int64, pid: Int64, on connection: Connection) throws {
        var seconds = HistorySeconds()
        guard rows.count >= historyRowsPerInsert else {
            return try insertHistoryRows(rows, streamID: streamID, pid: pid, counting: &seconds, on: connection)
        }
        try connection.withTriggersOff {
            try insertHistoryRows(rows, streamID: streamID, pid: pid, counting: &seconds, on: connection)
            try seconds.write(streamID: streamID, pid: pid, on: connection)
        }
    }

    /// Full groups of rows with one multi-row statement each, the rest one row at a time;
    /// both statements are prepared once and cached. Each row is counted in `seconds`.
    private static func insertHistoryRows(
        _ rows: HistoryRows, streamID: Int64, pid: Int64, counting seconds: inout HistorySeconds, on connection: Connection
    ) throws {
        let width = historyRowsPerInsert
        // Explicit numbers: ?1 stream, ?2 pid, then nonce, time and label for each row.
        let values = (0..<width).map { offset in
            let base = 3 + offset * 3
            return "(?1, ?\(base), ?\(base + 1), ?2, ?\(base + 2))"
        }.joined(separator: ", ")
        let group = try connection.cachedStatement("INSERT INTO history (stream_id, nonce, issued_at, pid, label) VALUES \(values)")
        defer { group.reset() }
        try group.bind(streamID, at: 1)
        try group.bind(pid, at: 2)
        // Rows are bound into the group as they come; a group that never fills is inserted
        // row by row at the end, so any sequence works without knowing its length.
        var pending: [HistoryRow] = []
        pending.reserveCapacity(width)
        for row in rows {
            seconds.count(row)
            let base = Int32(3 + pending.count * 3)
            try group.bind(row.nonce, at: base)
            try group.bind(row.issuedAt, at: base + 1)
            try group.bind(row.label, at: base + 2)
            pending.append(row)
            if pending.count == width {
                try group.step()
                group.reset()
                pending.removeAll(keepingCapacity: true)
            }
        }
        guard !pending.isEmpty else { return }
        let single = try connection.cachedStatement(
            "INSERT INTO history (stream_id, nonce, issued_at, pid, label) VALUES (?, ?, ?, ?, ?)")
        defer { single.reset() }
        try single.bind(streamID, at: 1)
        try single.bind(pid, at: 4)
        for row in pending {
            try single.bind(row.nonce, at: 2)
            try single.bind(row.issuedAt, at: 3)
            try single.bind(row.label, at: 5)
            try single.step()
            single.reset()
        }
    }

    static func validate(streamName name: String) throws {
        if let reason = StreamName.problem(with: name) { throw NonceStoreError.invalidStreamName(name, reason: reason) }
    }

    static func decodeStream(_ row: Statement) -> StreamRecord {
        StreamRecord(
            id: row.int64(at: 0),
            name: row.text(at: 1) ?? "",
            mode: StreamMode(rawValue: row.text(at: 2) ?? "") ?? .exclusive,
            lastIssued: row.int64(at: 3),
            highWaterMark: row.int64(at: 4),
            issuedTotal: row.int64(at: 5),
            markRenewals: row.int64(at: 6),
            clockRegressions: row.int64(at: 7),
            jumps: row.int64(at: 8),
            holderPID: row.optionalInt64(at: 9).map { Int32(truncatingIfNeeded: $0) },
            createdAt: row.int64(at: 10),
            updatedAt: row.int64(at: 11),
            consecutiveRejections: row.int64(at: 12),
            rejectionsTotal: row.int64(at: 13),
            uncleanStops: row.int64(at: 14),
            floorRepairs: row.int64(at: 15),
            rules: StreamRules(unit: NonceUnit(rawValue: row.text(at: 16) ?? "") ?? .nanoseconds,
                               maxNonce: row.optionalInt64(at: 17), exchange: row.text(at: 18)))
    }
}
