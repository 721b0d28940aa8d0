#if PostgreSQL  // Without the trait this module is empty and builds no network stack.
import NonceBackend

extension PostgresStore {
    package func recordRejection(stream name: String, at now: Int64, detail: String) throws -> Int64 {
        try protectionWrite(stream: name, durable: true) { connection, id in
            let count = try connection.query("""
                UPDATE streams SET rejections_in_a_row = rejections_in_a_row + 1, rejections_total = rejections_total + 1,
                                   updated_at = $1
                WHERE id = $2 RETURNING rejections_in_a_row
                """, [.integer(now), .integer(id)])[0].column(0, as: Int64.self)
            try insertEvent(streamID: id, at: now, kind: .rejection, detail: "rejection \(count) in a row: \(detail)", on: connection)
            return count
        }
    }

    @discardableResult
    package func recordSuccess(stream name: String, at now: Int64) throws -> Int64 {
        try protectionWrite(stream: name, durable: true) { connection, id in
            let count = try connection.query("SELECT rejections_in_a_row FROM streams WHERE id = $1", [.integer(id)])[0]
                .column(0, as: Int64.self)
            guard count > 0 else { return 0 }
            try connection.execute("UPDATE streams SET rejections_in_a_row = 0, updated_at = $1 WHERE id = $2", [.integer(now), .integer(id)])
            try insertEvent(streamID: id, at: now, kind: .recovered, detail: "accepted after \(count) rejection(s) in a row", on: connection)
            return count
        }
    }

    package func takeRateCounter(stream name: String, cost: Double, maximum: Double, decayPerSecond: Double, now: Int64) throws -> Int64 {
        try protectionWrite(stream: name, durable: false) { connection, id in
            let taken = RateCounterMath.take(try savedCounter(id, on: connection), cost: cost, maximum: maximum,
                                             perSecond: decayPerSecond, now: now)
            if let counter = taken.save { try saveCounter(id, counter, on: connection) }
            return taken.wait
        }
    }

    package func holdRateCharge(stream name: String, cost: Double, decayPerSecond: Double, takenAt: Int64, now: Int64) throws {
        try protectionWrite(stream: name, durable: false) { connection, id in
            let held = RateCounterMath.hold(try savedCounter(id, on: connection), cost: cost, perSecond: decayPerSecond,
                                            takenAt: takenAt, now: now)
            if let counter = held { try saveCounter(id, counter, on: connection) }
        }
    }

    private func savedCounter(_ id: Int64, on connection: PostgresTransaction) throws -> RateCounterMath.Saved? {
        try connection.query("SELECT level, updated_at FROM rate_counters WHERE stream_id = $1", [.integer(id)]).first
            .map { (try $0.column(0, as: Double.self), try $0.column(1, as: Int64.self)) }
    }

    private func saveCounter(_ id: Int64, _ counter: RateCounterMath.Saved, on connection: PostgresTransaction) throws {
        try connection.execute("""
            INSERT INTO rate_counters (stream_id, level, updated_at) VALUES ($1, $2, $3)
            ON CONFLICT (stream_id) DO UPDATE SET level = excluded.level, updated_at = excluded.updated_at
            """, [.integer(id), .real(counter.level), .integer(counter.at)])
    }

    /// One transaction on the stream's row, locked first: every process's counter updates
    /// on one key take turns, as on SQLite's write lock.
    private func protectionWrite<T>(stream name: String, durable: Bool, _ body: (PostgresTransaction, Int64) throws -> T) throws -> T {
        try session.transaction(durable: durable) { connection in
            guard let id = try connection.query("SELECT id FROM streams WHERE name = $1 FOR UPDATE", [.text(name)]).first?
                .column(0, as: Int32.self)
            else { throw NonceStoreError.streamNotFound(name, path: path) }
            return try body(connection, Int64(id))
        }
    }
}
#endif
