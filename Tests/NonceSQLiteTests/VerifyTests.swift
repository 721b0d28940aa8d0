import NonceBackend
import NonceSQLite
import NonceTestSupport
import Testing

@Suite("Verifying invariants")
struct VerifyTests {
    /// A stream with history 100, 200, 300 and a mark of 1,000.
    private func populated() throws -> (TemporaryDirectory, SQLiteStore) {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.database)
        let stream = try store.openStream(named: "default", mode: .exclusive)
        var change = StreamChange(streamID: stream.id)
        change.highWaterMark = 1_000
        change.lastIssued = 300
        change.issuedDelta = 3
        change.history = HistoryRows([100, 200, 300].map { HistoryRow(nonce: $0, issuedAt: $0) })
        try store.apply(change, durable: true)
        return (directory, store)
    }

    @Test("an untouched store verifies")
    func clean() throws {
        let (directory, store) = try populated()
        defer { withExtendedLifetime(directory) {} }
        let report = try store.verify()
        #expect(report.isValid, "\(report.problems)")
        #expect(report.historyRowsChecked == 3)
    }

    @Test("a history row moved below its predecessor is reported")
    func outOfOrder() throws {
        let (directory, store) = try populated()
        defer { withExtendedLifetime(directory) {} }
        try store.withConnection { try $0.execute("UPDATE history SET nonce = 150 WHERE nonce = 300") }
        let report = try store.verify()
        #expect(!report.isValid)
        #expect(report.problems.contains { $0.message.contains("not strictly increasing") })
    }

    @Test("a history nonce above last_issued is reported")
    func aboveLastIssued() throws {
        let (directory, store) = try populated()
        defer { withExtendedLifetime(directory) {} }
        try store.withConnection { try $0.execute("INSERT INTO history (stream_id, nonce, issued_at, pid) VALUES (1, 999, 0, 1)") }
        let report = try store.verify()
        #expect(report.problems.contains { $0.message.contains("above last_issued") })
    }

    @Test("last_issued above the high-water mark is reported")
    func markBelowLast() throws {
        let (directory, store) = try populated()
        defer { withExtendedLifetime(directory) {} }
        try store.withConnection { try $0.execute("UPDATE streams SET last_issued = 5000") }
        let report = try store.verify(stream: "default")
        #expect(report.problems.contains { $0.message.contains("above the high-water mark") })
    }

    @Test("duplicates are reported even if the unique index was dropped")
    func duplicates() throws {
        let (directory, store) = try populated()
        defer { withExtendedLifetime(directory) {} }
        try store.withConnection { connection in
            try connection.execute("DROP INDEX history_stream_nonce")
            try connection.execute("INSERT INTO history (stream_id, nonce, issued_at, pid) VALUES (1, 300, 0, 1)")
        }
        let report = try store.verify()
        #expect(report.problems.contains { $0.message.contains("duplicate") })
    }

    @Test("verifying an unknown stream is an error naming it")
    func unknownStream() throws {
        let (directory, store) = try populated()
        #expect(throws: NonceStoreError.streamNotFound("nope", path: directory.database)) { try store.verify(stream: "nope") }
    }
}
