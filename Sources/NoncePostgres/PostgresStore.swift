#if PostgreSQL  // Without the trait this module is empty and builds no network stack.
import Foundation
package import NonceBackend
import PostgresNIO
import Synchronization

/// The PostgreSQL backend: one server shared by several hosts, with the guarantees of the
/// SQLite backend. Claims and the API lock are session advisory locks, which the server
/// releases when the holding session ends (a crash, kill -9, or, once TCP keepalive gives
/// up on it, a vanished host). Every write that moves a mark commits with
/// `synchronous_commit = on` before it returns.
///
/// An exclusive holder writes through its claim's own session: if that session ends, its
/// claim has ended with it, and the holder's next write fails instead of going on beside
/// a new holder.
package final class PostgresStore: NonceBackend {
    package let location: PostgresLocation
    /// Reads, shared issuing, counters and imports.
    let session: PostgresSession
    /// The sessions of this store's exclusive claims, by stream id.
    let claimSessions = Mutex<[Int64: PostgresSession]>([:])
    let keys: PostgresLockKeys
    /// Recorded with a claim, so a refusal on another host names this one.
    let hostName: String

    package var path: String { location.description }

    /// Connects to `location` and prepares its schema (created or migrated when `create`).
    ///
    /// - Throws: `NonceStoreError` `.cannotConnect`, `.newerSchema`, `.foreignDatabase`, or
    ///   `.readOnly` when `writable` and the server is a standby or runs read-only sessions.
    package init(location: PostgresLocation, create: Bool = true, writable: Bool = true) throws {
        self.location = location
        keys = PostgresLockKeys(schema: location.schema)
        hostName = ProcessInfo.processInfo.hostName
        session = try PostgresSession(location: location)
        if writable {
            // Outside a transaction, transaction_read_only shows the session's default: a
            // server, database or role with default_transaction_read_only = on.
            let row = try session.query("SELECT pg_is_in_recovery(), current_setting('transaction_read_only') = 'on'")[0]
            let (inRecovery, readOnlySessions) = (try row.column(0, as: Bool.self), try row.column(1, as: Bool.self))
            if inRecovery || readOnlySessions { throw PostgresFailure.readOnly(location, inRecovery: inRecovery) }
        }
        try PostgresSchema.prepare(session, create: create && writable)
    }

    /// Opens the URI `uri` (see ``PostgresLocation``).
    package convenience init(uri: String, create: Bool = true, writable: Bool = true) throws {
        try self.init(location: PostgresLocation(uri: uri), create: create, writable: writable)
    }

    /// The session a write to `streamID` goes through: its claim's, when this store holds it.
    func writer(for streamID: Int64) -> PostgresSession {
        claimSessions.withLock { $0[streamID] } ?? session
    }

    static let streamColumns = """
        id, name, mode, last_issued, high_water_mark, issued_total, mark_renewals, clock_regressions, jumps,
        holder_pid, created_at, updated_at, rejections_in_a_row, rejections_total, unclean_stops, floor_repairs, holder_host,
        unit, max_nonce, exchange
        """

    static func decodeStream(_ row: PostgresRow) throws -> StreamRecord {
        let cells = row.makeRandomAccess()
        return StreamRecord(
            id: Int64(try cells[0].decode(Int32.self)),
            name: try cells[1].decode(String.self),
            mode: StreamMode(rawValue: try cells[2].decode(String.self)) ?? .exclusive,
            lastIssued: try cells[3].decode(Int64.self),
            highWaterMark: try cells[4].decode(Int64.self),
            issuedTotal: try cells[5].decode(Int64.self),
            markRenewals: try cells[6].decode(Int64.self),
            clockRegressions: try cells[7].decode(Int64.self),
            jumps: try cells[8].decode(Int64.self),
            holderPID: try cells[9].decode(Int32?.self),
            createdAt: try cells[10].decode(Int64.self),
            updatedAt: try cells[11].decode(Int64.self),
            consecutiveRejections: try cells[12].decode(Int64.self),
            rejectionsTotal: try cells[13].decode(Int64.self),
            uncleanStops: try cells[14].decode(Int64.self),
            floorRepairs: try cells[15].decode(Int64.self),
            rules: StreamRules(unit: NonceUnit(rawValue: try cells[17].decode(String.self)) ?? .nanoseconds,
                               maxNonce: try cells[18].decode(Int64?.self), exchange: try cells[19].decode(String?.self)))
    }

    /// The recorded holder of a stream (pid, host), for refusals.
    func recordedHolder(streamID: Int64) -> (pid: Int32?, host: String?) {
        guard let row = try? session.query("SELECT holder_pid, holder_host FROM streams WHERE id = $1", [.integer(streamID)]).first
        else { return (nil, nil) }
        return ((try? row.column(0, as: Int32?.self)) ?? nil, (try? row.column(1, as: String?.self)) ?? nil)
    }

    // MARK: Streams

    package func stream(named name: String) throws -> StreamRecord? {
        try session.query("SELECT \(Self.streamColumns) FROM streams WHERE name = $1", [.text(name)]).first.map(Self.decodeStream)
    }

    package func streams() throws -> [StreamRecord] {
        try session.query("SELECT \(Self.streamColumns) FROM streams ORDER BY name").map(Self.decodeStream)
    }

    package func openStream(named name: String, mode: StreamMode, rules: StreamRules) throws -> StreamRecord {
        if let reason = StreamName.problem(with: name) { throw NonceStoreError.invalidStreamName(name, reason: reason) }
        let record = try session.transaction(durable: true) { try createStreamIfMissing(named: name, mode: mode, rules: rules, floor: nil, on: $0) }
        guard record.mode == mode else { throw NonceStoreError.modeMismatch(stream: name, actual: record.mode, requested: mode) }
        return record
    }

    /// The stream called `name`, created in `mode` when missing; refuses a creation that
    /// would start below history whose stream row is gone, and adopts that history when
    /// `floor` covers it.
    func createStreamIfMissing(
        named name: String, mode: StreamMode, rules: StreamRules = .nanoseconds, floor: Int64?, on connection: PostgresTransaction
    ) throws -> StreamRecord {
        let select = "SELECT \(Self.streamColumns) FROM streams WHERE name = $1"
        if let existing = try connection.query(select, [.text(name)]).first { return try Self.decodeStream(existing) }
        let orphans = try orphanedHistory(on: connection)
        try orphans.allowCreating(name, floor: floor, path: path)
        let now = WallClock.nanoseconds()
        // Two hosts creating one stream at once: one inserts, both read the same row.
        try connection.execute("""
            INSERT INTO streams (name, mode, created_at, updated_at, unit, max_nonce, exchange) VALUES ($1, $2, $3, $3, $4, $5, $6)
            ON CONFLICT (name) DO NOTHING
            """, [.text(name), .text(mode.rawValue), .integer(now), .text(rules.unit.rawValue), .integer(rules.maxNonce),
                  .text(rules.exchange)])
        guard let row = try connection.query(select, [.text(name)]).first else { throw NonceStoreError.streamNotFound(name, path: path) }
        let record = try Self.decodeStream(row)
        guard let top = orphans.top else { return record }
        for orphan in orphans.streams {
            try connection.execute("UPDATE history SET stream_id = $1 WHERE stream_id = $2", [.integer(record.id), .integer(orphan.id)])
            try connection.execute("UPDATE events SET stream_id = $1 WHERE stream_id = $2", [.integer(record.id), .integer(orphan.id)])
            // The rollup's rows go with the history; merged, since two orphans may share a second.
            try connection.execute("""
                INSERT INTO history_seconds AS r (stream_id, second, pid, label, issued, max_nonce, max_issued_at)
                SELECT $1, second, pid, label, issued, max_nonce, max_issued_at FROM history_seconds WHERE stream_id = $2
                ON CONFLICT (stream_id, second, pid, label) DO UPDATE
                   SET issued = r.issued + excluded.issued, max_nonce = greatest(r.max_nonce, excluded.max_nonce),
                       max_issued_at = greatest(r.max_issued_at, excluded.max_issued_at)
                """, [.integer(record.id), .integer(orphan.id)])
            try connection.execute("DELETE FROM history_seconds WHERE stream_id = $1", [.integer(orphan.id)])
        }
        try connection.execute("UPDATE streams SET last_issued = $1, high_water_mark = greatest(high_water_mark, $1) WHERE id = $2",
                               [.integer(top), .integer(record.id)])
        try insertEvent(streamID: record.id, at: now, kind: .historyAdopted, detail: orphans.adoptionDetail, floor: top, on: connection)
        return try Self.decodeStream(try connection.query(select, [.text(name)])[0])
    }

    /// History, and floors recorded in events, left by streams whose row is gone. Walks the
    /// distinct stream ids of the (stream_id, nonce) index (one seek per stream), not the rows.
    private func orphanedHistory(on connection: PostgresTransaction) throws -> OrphanedHistory {
        let history = try connection.query("""
            WITH RECURSIVE ids(id) AS (  -- a skip scan of the (stream_id, nonce) index
                SELECT min(stream_id) FROM history
                UNION ALL
                SELECT (SELECT min(stream_id) FROM history WHERE stream_id > ids.id) FROM ids WHERE ids.id IS NOT NULL
            )
            SELECT ids.id, (SELECT max(nonce) FROM history WHERE stream_id = ids.id) FROM ids
            WHERE ids.id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM streams WHERE id = ids.id)
            """).map { (Int64(try $0.column(0, as: Int32.self)), try $0.column(1, as: Int64.self)) }
        let events = try connection.query("""
            SELECT stream_id, max(floor) FROM events
            WHERE floor IS NOT NULL AND NOT EXISTS (SELECT 1 FROM streams WHERE id = events.stream_id) GROUP BY stream_id
            """).map { (Int64(try $0.column(0, as: Int32.self)), try $0.column(1, as: Int64.self)) }
        return OrphanedHistory(history: history, events: events)
    }

    /// - Parameter floor: the floor the event sets, for events that move one (it counts
    ///   towards the stream's floor, like its history).
    func insertEvent(
        streamID: Int64, at: Int64, kind: EventKind, detail: String, floor: Int64? = nil, on connection: PostgresTransaction
    ) throws {
        try connection.execute("INSERT INTO events (stream_id, at, kind, detail, floor) VALUES ($1, $2, $3, $4, $5)",
                               [.integer(streamID), .integer(at), .text(kind.rawValue), .text(detail),
                                .integer(floor.flatMap { $0 > 0 ? $0 : nil })])
    }

    @discardableResult
    package func setMode(_ mode: StreamMode, stream name: String) throws -> Bool {
        try session.transaction(durable: true) { connection in
            guard let row = try connection.query("SELECT \(Self.streamColumns) FROM streams WHERE name = $1 FOR UPDATE", [.text(name)]).first
            else { throw NonceStoreError.streamNotFound(name, path: path) }
            let record = try Self.decodeStream(row)
            guard record.mode != mode else { return false }
            try claimForTransaction(record, on: connection)
            let now = WallClock.nanoseconds()
            try connection.execute("UPDATE streams SET mode = $1, updated_at = $2 WHERE id = $3",
                                   [.text(mode.rawValue), .integer(now), .integer(record.id)])
            try insertEvent(streamID: record.id, at: now, kind: .mode, detail: "\(record.mode.rawValue) -> \(mode.rawValue)", on: connection)
            return true
        }
    }

    /// Moves a stream to a finer unit, its floor multiplied, while no process holds it.
    @discardableResult
    package func setUnit(_ unit: NonceUnit, stream name: String) throws -> Bool {
        try session.transaction(durable: true) { connection in
            guard let row = try connection.query("SELECT \(Self.streamColumns) FROM streams WHERE name = $1 FOR UPDATE", [.text(name)]).first
            else { throw NonceStoreError.streamNotFound(name, path: path) }
            let record = try Self.decodeStream(row)
            guard record.rules.unit != unit else { return false }
            let floor = try record.rules.floor(record.floor, movedTo: unit, stream: name)
            try claimForTransaction(record, on: connection)
            let now = WallClock.nanoseconds()
            try connection.execute("UPDATE streams SET unit = $1, last_issued = $2, high_water_mark = $2, updated_at = $3 WHERE id = $4",
                                   [.text(unit.rawValue), .integer(floor), .integer(now), .integer(record.id)])
            try insertEvent(streamID: record.id, at: now, kind: .unit,
                            detail: "\(record.rules.unit.rawValue) -> \(unit.rawValue): the floor \(record.floor) became \(floor)",
                            floor: floor, on: connection)
            return true
        }
    }

    /// Takes the stream's claim for the rest of `connection`'s transaction, without waiting:
    /// no process may hold it (in either mode) while the transaction changes what it relies on.
    /// As ``claim(_:wait:shared:)``, a claim left by a dead process of this host is waited for
    /// up to ``deadHolderGrace``: `nonce stream set-mode` right after a kill -9 must not be
    /// refused in the name of a process that no longer runs.
    func claimForTransaction(_ record: StreamRecord, on connection: PostgresTransaction) throws {
        var grace: ContinuousClock.Instant?
        var pause = Duration.milliseconds(5)
        while try !connection.query("SELECT pg_try_advisory_xact_lock($1::integer, $2::integer)",
                                    [.integer(Int64(keys.claim)), .integer(record.id)])[0].column(0, as: Bool.self) {
            // Read through the transaction's own connection: the session is busy with it.
            let row = try? connection.query("SELECT holder_pid, holder_host FROM streams WHERE id = $1", [.integer(record.id)]).first
            let holder = (pid: row.flatMap { (try? $0.column(0, as: Int32?.self)) ?? nil },
                          host: row.flatMap { (try? $0.column(1, as: String?.self)) ?? nil })
            if grace == nil, holder.host == hostName, let pid = holder.pid, !Self.isRunning(pid) {
                grace = ContinuousClock.now + Self.deadHolderGrace
            }
            guard let grace, ContinuousClock.now < grace else {
                throw NonceStoreError.streamHeld(stream: record.name, holderPID: holder.pid, holderHost: holder.host, database: path)
            }
            Self.sleep(pause)
            pause = min(pause * 2, .milliseconds(200))
        }
    }
}

extension PostgresStore {
    /// Runs `sql` (one or more statements) on the store's session: for tests and
    /// maintenance scripts, never for issuing.
    package func execute(sql: String) throws {
        try session.query(sql)
    }

    /// The first column of every row of `sql`, as integers.
    package func integers(sql: String) throws -> [Int64] {
        try session.query(sql).map { try $0.column(0, as: Int64.self) }
    }

    /// The first column of the first row of `sql`, as an integer.
    package func integer(sql: String) throws -> Int64? {
        try session.query(sql).first?.column(0, as: Int64?.self) ?? nil
    }
}

// MARK: Statements of a tool's own

extension PostgresStore {
    /// Runs one statement of the caller's own in this store's schema, on its session, in a
    /// transaction of its own: for tools that measure the store against bare SQL (`nonce
    /// bench`'s baselines). `durable: false` commits as the engine's history batches do,
    /// without waiting for the server's disk.
    package func execute(_ sql: String, _ values: [PostgresValue], durable: Bool = true) throws {
        if durable {
            try session.query(sql, values)
        } else {
            try session.transaction(durable: false) { connection in try connection.execute(sql, values) }
        }
    }

    /// Drops this store's schema and everything in it: for `nonce bench`'s scratch schema.
    package func dropSchema() throws {
        try session.query("DROP SCHEMA \"\(location.schema)\" CASCADE")
    }
}
#endif
