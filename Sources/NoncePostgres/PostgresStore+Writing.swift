#if PostgreSQL  // Without the trait this module is empty and builds no network stack.
package import NonceBackend

extension PostgresStore {
    /// Applies `change` in one transaction, through the claim's session when this store
    /// holds the stream. `durable` commits with `synchronous_commit = on` (required when the
    /// change raises a mark a nonce is about to be issued under).
    package func apply(_ change: StreamChange, durable: Bool) throws {
        guard !change.isEmpty else { return }
        try writer(for: change.streamID).transaction(durable: durable) { connection in
            try Self.apply(change, on: connection)
        }
    }

    static func apply(_ change: StreamChange, on connection: PostgresTransaction) throws {
        if !change.history.isEmpty {
            try insertHistory(change.history, streamID: change.streamID, pid: change.pid, on: connection)
        }
        if !change.events.isEmpty {
            // A floor of 0 stands for none: a bigint[] parameter cannot carry NULL here.
            try connection.execute("""
                INSERT INTO events (stream_id, at, kind, detail, floor) SELECT $1, e.at, e.kind, e.detail, nullif(e.floor, 0)
                FROM unnest($2::bigint[], $3::text[], $4::text[], $5::bigint[]) AS e(at, kind, detail, floor)
                """, [.integer(change.streamID), .integers(change.events.map(\.at)), .texts(change.events.map(\.kind.rawValue)),
                      .texts(change.events.map(\.detail)), .integers(change.events.map { max(0, $0.floor ?? 0) })])
        }
        // Marks and last_issued only rise (greatest), except a releasing holder's mark,
        // which never goes below last_issued.
        try connection.execute("""
            UPDATE streams SET
                high_water_mark   = CASE WHEN $9::bigint IS NULL THEN greatest(high_water_mark, coalesce($2::bigint, 0))
                                    ELSE greatest($9::bigint, last_issued, coalesce($3::bigint, 0)) END,
                last_issued       = greatest(last_issued, coalesce($3::bigint, 0)),
                issued_total      = issued_total + $4,
                mark_renewals     = mark_renewals + $5,
                clock_regressions = clock_regressions + $6,
                jumps             = jumps + $7,
                updated_at        = $8
            WHERE id = $1
            """, [
                .integer(change.streamID), .integer(change.highWaterMark), .integer(change.lastIssued), .integer(change.issuedDelta),
                .integer(change.markRenewalsDelta), .integer(change.clockRegressionsDelta), .integer(change.jumpsDelta),
                .integer(WallClock.nanoseconds()), .integer(change.releasedHighWaterMark),
            ])
    }

    /// Appends `rows` with one statement: the rows travel as parallel arrays that
    /// `unnest` turns back into rows on the server, one round trip for the whole batch.
    static func insertHistory(_ rows: HistoryRows, streamID: Int64, pid: Int32, on connection: PostgresTransaction) throws {
        var nonces: [Int64] = [], times: [Int64] = []
        let count = rows.count
        nonces.reserveCapacity(count)
        times.reserveCapacity(count)
        var labelled = false
        for row in rows {
            nonces.append(row.nonce)
            times.append(row.issuedAt)
            if row.label != nil { labelled = true }
        }
        guard labelled else {
            // The usual batch: no labels, so two arrays travel instead of four.
            try connection.execute("""
                INSERT INTO history (stream_id, nonce, issued_at, pid)
                SELECT $1, r.nonce, r.issued_at, $2 FROM unnest($3::bigint[], $4::bigint[]) AS r(nonce, issued_at)
                """, [.integer(streamID), .integer(Int64(pid)), .integers(nonces), .integers(times)])
            return
        }
        // A label may be NULL, which a text[] parameter cannot carry here: a flag says which are.
        try connection.execute("""
            INSERT INTO history (stream_id, nonce, issued_at, pid, label)
            SELECT $1, r.nonce, r.issued_at, $2, CASE WHEN r.labelled THEN r.label END
            FROM unnest($3::bigint[], $4::bigint[], $5::text[], $6::boolean[]) AS r(nonce, issued_at, label, labelled)
            """, [.integer(streamID), .integer(Int64(pid)), .integers(nonces), .integers(times),
                  .texts(rows.map { $0.label ?? "" }), .flags(rows.map { $0.label != nil })])
    }

    package func repairFloor(streamID: Int64) throws -> FloorRepair? {
        let needed = try session.query("""
            SELECT recorded_floor(s.id) > greatest(s.last_issued, s.high_water_mark)
            FROM streams AS s WHERE s.id = $1
            """, [.integer(streamID)]).first?.column(0, as: Bool?.self) ?? nil
        guard needed == true else { return nil }
        return try writer(for: streamID).transaction(durable: true) { connection in
            guard let row = try connection.query("SELECT \(Self.streamColumns) FROM streams WHERE id = $1 FOR UPDATE", [.integer(streamID)]).first
            else { return nil }
            let record = try Self.decodeStream(row)
            guard let top = try connection.query("SELECT recorded_floor($1)", [.integer(streamID)])[0]
                .column(0, as: Int64?.self), top > record.floor
            else { return nil }
            try connection.execute("UPDATE streams SET last_issued = $1, floor_repairs = floor_repairs + 1 WHERE id = $2",
                                   [.integer(top), .integer(streamID)])
            try insertEvent(streamID: streamID, at: WallClock.nanoseconds(), kind: .floorRepair, detail:
                "history and events record \(top), above last_issued \(record.lastIssued) and the high-water mark "
                    + "\(record.highWaterMark): issuing continues above \(top)", floor: top, on: connection)
            return FloorRepair(stream: record.name, stateFloor: record.floor, historyFloor: top)
        }
    }

    package func lastClockReading(streamID: Int64) throws -> Int64 {
        try session.query("""
            SELECT greatest(s.updated_at, coalesce((SELECT h.issued_at FROM history AS h WHERE h.stream_id = s.id
                                                    ORDER BY h.nonce DESC LIMIT 1), 0))
            FROM streams AS s WHERE s.id = $1
            """, [.integer(streamID)]).first?.column(0, as: Int64.self) ?? 0
    }

    package func recordClockBehind(streamID: Int64, now: Int64, recorded: Int64, pid: Int32) throws {
        try writer(for: streamID).transaction(durable: false) { connection in
            try connection.execute("UPDATE streams SET clock_regressions = clock_regressions + 1 WHERE id = $1", [.integer(streamID)])
            try insertEvent(streamID: streamID, at: now, kind: .clockRegression, detail:
                "process \(pid) on host '\(hostName)' started with its clock \(recorded - now) ns behind the latest clock reading "
                    + "recorded for the stream (\(recorded)): a host with a wrong clock; nonces continue above the floor", on: connection)
        }
    }
}
#endif
