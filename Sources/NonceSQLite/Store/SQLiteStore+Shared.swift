package import NonceBackend
extension SQLiteStore {
    /// Issues one nonce on a shared stream through the SQL contract (the `nonce_requests`
    /// view of migration 2), in one durable `BEGIN IMMEDIATE` transaction: the state, the
    /// history row and the nonce commit together, synced to disk, before it is returned.
    ///
    /// Every process, in any language, that follows the same contract takes part in one
    /// strictly increasing sequence, in commit order.
    ///
    /// - Parameters:
    ///   - now: the caller's clock, in nanoseconds since the epoch.
    ///   - clockStepBack: how far the caller saw its clock step back since its previous
    ///     nonce, in nanoseconds, if it did: counted in `clock_regressions` and recorded as a
    ///     `clock_regression` event in the same transaction.
    /// - Throws: ``NonceStoreError/modeMismatch(stream:actual:requested:)`` for an exclusive
    ///   stream, ``NonceStoreError/streamNotFound(_:path:)``, or
    ///   ``NonceStoreError/writeFailed(path:reason:)``; no nonce is issued then.
    package func issueShared(stream name: String, now: Int64, pid: Int32, label: String?, clockStepBack: Int64? = nil) throws -> Int64 {
        try sharedWrite(stream: name) { connection in
            try connection.cachedStatement("INSERT INTO nonce_requests (stream, requested_at, pid, label) VALUES (?, ?, ?, ?)")
                .execute([.text(name), .integer(now), .integer(Int64(pid)), label.map { .text($0) } ?? .null])
            if let clockStepBack {
                try connection.cachedStatement("UPDATE streams SET clock_regressions = clock_regressions + 1 WHERE name = ?")
                    .execute([.text(name)])
                try connection.cachedStatement("""
                    INSERT INTO events (stream_id, at, kind, detail)
                    SELECT id, ?, ?, ? FROM streams WHERE name = ?
                    """).execute([.integer(now), .text(EventKind.clockRegression.rawValue), .text("process \(pid): the clock stepped back by \(clockStepBack) ns; "
                        + "nonces continued above the last one"), .text(name)])
            }
            return try connection.cachedStatement("SELECT last_issued FROM streams WHERE name = ?")
                .rows([.text(name)]) { $0.int64(at: 0) }.first ?? 0
        }
    }

    /// Moves a shared stream forward through the SQL contract's `nonce_jumps` view (migration
    /// 4): its floor becomes `max(floor, now) + nanoseconds`, durably, with a `jump` event.
    /// Returns the new floor; every later nonce is above it.
    package func jumpShared(stream name: String, by nanoseconds: Int64, now: Int64, reason: String) throws -> Int64 {
        try sharedWrite(stream: name) { connection in
            try connection.cachedStatement("INSERT INTO nonce_jumps (stream, by_ns, requested_at, reason) VALUES (?, ?, ?, ?)")
                .execute([.text(name), .integer(nanoseconds), .integer(now), .text(reason)])
            return try connection.cachedStatement("SELECT high_water_mark FROM streams WHERE name = ?")
                .rows([.text(name)]) { $0.int64(at: 0) }.first ?? 0
        }
    }

    /// Switches a stream between exclusive and shared. Allowed only while no process holds
    /// the stream in either mode: the switch claims it exclusively for its transaction.
    ///
    /// - Returns: false when the stream already was in `mode` (nothing written).
    /// - Throws: ``NonceStoreError/streamHeld(stream:holderPID:database:)`` while held.
    @discardableResult
    package func setMode(_ mode: StreamMode, stream name: String) throws -> Bool {
        try write(durable: true) { connection, held in
            guard let record = try connection.cachedStatement("SELECT \(Self.streamColumns) FROM streams WHERE name = ?")
                .rows([.text(name)], Self.decodeStream).first
            else { throw NonceStoreError.streamNotFound(name, path: path) }
            guard record.mode != mode else { return false }
            try held.claim(record)
            let now = WallClock.nanoseconds()
            try connection.cachedStatement("UPDATE streams SET mode = ?, updated_at = ? WHERE id = ?")
                .execute([.text(mode.rawValue), .integer(now), .integer(record.id)])
            try connection.cachedStatement("INSERT INTO events (stream_id, at, kind, detail) VALUES (?, ?, ?, ?)")
                .execute([.integer(record.id), .integer(now), .text(EventKind.mode.rawValue), .text("\(record.mode.rawValue) -> \(mode.rawValue)")])
            return true
        }
    }

    /// Moves a stream to a finer unit, its floor multiplied, while no process holds it (the
    /// change claims it for its transaction, as a mode switch does).
    @discardableResult
    package func setUnit(_ unit: NonceUnit, stream name: String) throws -> Bool {
        try write(durable: true) { connection, held in
            guard let record = try connection.cachedStatement("SELECT \(Self.streamColumns) FROM streams WHERE name = ?")
                .rows([.text(name)], Self.decodeStream).first
            else { throw NonceStoreError.streamNotFound(name, path: path) }
            guard record.rules.unit != unit else { return false }
            let floor = try record.rules.floor(record.floor, movedTo: unit, stream: name)
            try held.claim(record)
            let now = WallClock.nanoseconds()
            try connection.cachedStatement("UPDATE streams SET unit = ?, last_issued = ?, high_water_mark = ?, updated_at = ? WHERE id = ?")
                .execute([.text(unit.rawValue), .integer(floor), .integer(floor), .integer(now), .integer(record.id)])
            try connection.cachedStatement("INSERT INTO events (stream_id, at, kind, detail, floor) VALUES (?, ?, ?, ?, ?)")
                .execute([.integer(record.id), .integer(now), .text(EventKind.unit.rawValue),
                          .text("\(record.rules.unit.rawValue) -> \(unit.rawValue): the floor \(record.floor) became \(floor)"),
                          floor > 0 ? .integer(floor) : .null])
            return true
        }
    }

    /// One durable write on a shared stream. The stream's existence and mode are checked in
    /// the same transaction first, so the contract trigger's own refusals (for other
    /// clients) never need to be recognised by their text.
    private func sharedWrite<T>(stream name: String, _ body: (Connection) throws -> T) throws -> T {
        try write(durable: true) { connection in
            let mode = try connection.cachedStatement("SELECT mode FROM streams WHERE name = ?")
                .rows([.text(name)]) { $0.text(at: 0) }.first
            guard let mode else { throw NonceStoreError.streamNotFound(name, path: path) }
            guard mode == StreamMode.shared.rawValue else {
                throw NonceStoreError.modeMismatch(stream: name, actual: .exclusive, requested: .shared)
            }
            return try body(connection)
        }
    }
}
