import NonceBackend
extension SQLiteStore {
    /// Counts an "invalid nonce" rejection of `stream`: one more in a row, one more in total.
    ///
    /// - Returns: the rejections in a row, this one included.
    package func recordRejection(stream name: String, at now: Int64, detail: String) throws -> Int64 {
        try protectionWrite(stream: name) { connection, id in
            try connection.cachedStatement("""
                UPDATE streams SET rejections_in_a_row = rejections_in_a_row + 1, rejections_total = rejections_total + 1,
                                   updated_at = ?
                WHERE id = ?
                """).execute([.integer(now), .integer(id)])
            let count = try connection.cachedStatement("SELECT rejections_in_a_row FROM streams WHERE id = ?")
                .rows([.integer(id)]) { $0.int64(at: 0) }.first ?? 0
            try connection.cachedStatement("INSERT INTO events (stream_id, at, kind, detail) VALUES (?, ?, ?, ?)")
                .execute([.integer(id), .integer(now), .text(EventKind.rejection.rawValue), .text("rejection \(count) in a row: \(detail)")])
            return count
        }
    }

    /// Ends a run of rejections: sets the count in a row back to 0, with a `recovered` event.
    /// Writes nothing when there was no run.
    ///
    /// - Returns: how many rejections in a row there were.
    @discardableResult
    package func recordSuccess(stream name: String, at now: Int64) throws -> Int64 {
        try protectionWrite(stream: name) { connection, id in
            let count = try connection.cachedStatement("SELECT rejections_in_a_row FROM streams WHERE id = ?")
                .rows([.integer(id)]) { $0.int64(at: 0) }.first ?? 0
            guard count > 0 else { return 0 }
            try connection.cachedStatement("UPDATE streams SET rejections_in_a_row = 0, updated_at = ? WHERE id = ?")
                .execute([.integer(now), .integer(id)])
            try connection.cachedStatement("INSERT INTO events (stream_id, at, kind, detail) VALUES (?, ?, ?, ?)")
                .execute([.integer(id), .integer(now), .text(EventKind.recovered.rawValue), .text("accepted after \(count) rejection(s) in a row")])
            return count
        }
    }

    /// Adds `cost` to the stream's rate counter if it fits under `maximum`, after letting it
    /// decay at `decayPerSecond` since its last change; the model of the exchange's own
    /// per-key counter. The counter lives in the database, so every process on the stream
    /// and every restart share it.
    ///
    /// - Returns: 0 when the cost was added; otherwise the nanoseconds until it would fit
    ///   (nothing is added then: ask again after waiting).
    package func takeRateCounter(stream name: String, cost: Double, maximum: Double, decayPerSecond: Double, now: Int64) throws -> Int64 {
        try protectionWrite(stream: name, durable: false) { connection, id in
            let taken = RateCounterMath.take(try Self.savedCounter(id, on: connection), cost: cost, maximum: maximum,
                                             perSecond: decayPerSecond, now: now)
            if let counter = taken.save { try Self.saveCounter(id, counter, on: connection) }
            return taken.wait
        }
    }

    /// Holds a call's charge until its request has surely arrived: the exchange counts a
    /// call when it arrives, up to the end of the body that sent it, while
    /// ``takeRateCounter(stream:cost:maximum:decayPerSecond:now:)`` charged it when the nonce
    /// was taken. Adds back what the counter decayed since then, at most `cost`, so the
    /// counter is never below the exchange's.
    package func holdRateCharge(stream name: String, cost: Double, decayPerSecond: Double, takenAt: Int64, now: Int64) throws {
        try protectionWrite(stream: name, durable: false) { connection, id in
            let held = RateCounterMath.hold(try Self.savedCounter(id, on: connection), cost: cost, perSecond: decayPerSecond,
                                            takenAt: takenAt, now: now)
            if let counter = held { try Self.saveCounter(id, counter, on: connection) }
        }
    }

    private static func savedCounter(_ id: Int64, on connection: Connection) throws -> RateCounterMath.Saved? {
        try connection.cachedStatement("SELECT level, updated_at FROM rate_counters WHERE stream_id = ?")
            .rows([.integer(id)]) { ($0.double(at: 0), $0.int64(at: 1)) }.first
    }

    private static func saveCounter(_ id: Int64, _ counter: RateCounterMath.Saved, on connection: Connection) throws {
        try connection.cachedStatement("""
            INSERT INTO rate_counters (stream_id, level, updated_at) VALUES (?, ?, ?)
            ON CONFLICT (stream_id) DO UPDATE SET level = excluded.level, updated_at = excluded.updated_at
            """).execute([.integer(id), .real(counter.level), .integer(counter.at)])
    }

    /// One `BEGIN IMMEDIATE` transaction on the stream called `name`.
    private func protectionWrite<T>(stream name: String, durable: Bool = true, _ body: (Connection, Int64) throws -> T) throws -> T {
        try write(durable: durable) { connection in
            guard let id = try connection.cachedStatement("SELECT id FROM streams WHERE name = ?")
                .rows([.text(name)], { $0.int64(at: 0) }).first
            else { throw NonceStoreError.streamNotFound(name, path: path) }
            return try body(connection, id)
        }
    }
}
