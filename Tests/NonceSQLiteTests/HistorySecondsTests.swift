import Foundation
import NonceBackend
import NonceSQLite
import NonceTestSupport
import Testing

/// `history_seconds` on SQLite: the batched writer counts its batches itself, with the
/// connection's triggers off; the schema's trigger counts every other insert. Both must
/// leave the same rows a GROUP BY over the history gives.
@Suite("The per-second rollup on SQLite")
struct HistorySecondsTests {
    static let t0: Int64 = 1_764_000_000_000_000_000

    /// The rollup as the history says it should be.
    static let expected = """
        SELECT stream_id, issued_at / 1000000000, pid, substr(coalesce(label, ''), 1, 200), count(*), max(nonce), max(issued_at)
        FROM history GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        """
    static let actual = """
        SELECT stream_id, second, pid, label, issued, max_nonce, max_issued_at FROM history_seconds ORDER BY 1, 2, 3, 4
        """

    static func rows(_ sql: String, _ store: SQLiteStore) throws -> [[String]] {
        try store.withConnection { connection in
            try connection.prepare(sql).rows { row in (0..<7).map { row.text(at: Int32($0)) ?? "" } }
        }
    }

    @Test("batches (counted in Swift) and single rows (counted by the trigger) agree with the history, long labels cut alike")
    func writersAgree() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.database)
        let record = try store.openStream(named: "k", mode: .exclusive)
        // 300 characters, multi-byte ones among them: cut at 200 characters, not bytes.
        let long = String(repeating: "é😀x", count: 100)
        var nonce = Self.t0
        func write(_ count: Int, pid: Int32, labels: [String?], spacing: Int64) throws {
            var change = StreamChange(streamID: record.id)
            change.pid = pid
            change.history = HistoryRows((0..<count).map { index in
                nonce += spacing
                return HistoryRow(nonce: nonce, issuedAt: nonce, label: labels[index % labels.count])
            })
            try store.apply(change, durable: false)
        }
        try write(1_000, pid: 7, labels: [nil, "AddOrder", long], spacing: 3_000_000)   // a batch over 3 s
        try write(5, pid: 7, labels: [long, nil], spacing: 1)                             // single rows, same seconds
        try write(70, pid: 8, labels: [""], spacing: 1_000)                               // '' and nil share a key
        try store.withConnection { connection in
            try connection.execute("INSERT INTO history (stream_id, nonce, issued_at, pid, label) VALUES (\(record.id), \(nonce + 1), \(nonce + 1), 9, 'by hand')")
        }
        let expected = try Self.rows(Self.expected, store)
        #expect(try Self.rows(Self.actual, store) == expected)
        #expect(expected.count > 5)
        #expect(expected.contains { $0[3] == String(long.unicodeScalars.prefix(200).map(Character.init)) })
    }

    @Test("history_seconds_count is the only trigger on history: the batched writer turns triggers off and does its work itself")
    func onlyTrigger() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.database)
        let triggers = try store.withConnection { connection in
            try connection.prepare("SELECT name FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = 'history' ORDER BY name")
                .rows { $0.text(at: 0) ?? "" }
        }
        #expect(triggers == ["history_seconds_count"],
                "a new trigger on history must also be applied by SQLiteStore.insertHistory, which runs without triggers")
    }

    @Test("after a batch, the connection's triggers are on again: the SQL contract still issues and counts")
    func triggersBackOn() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.database)
        let record = try store.openStream(named: "k", mode: .shared)
        var change = StreamChange(streamID: record.id)
        change.history = HistoryRows((1...100).map { HistoryRow(nonce: Self.t0 + $0, issuedAt: Self.t0 + $0) })
        try store.apply(change, durable: false)
        let nonce = try store.issueShared(stream: "k", now: WallClock.nanoseconds(), pid: 3, label: "after", clockStepBack: nil)
        #expect(nonce > Self.t0)
        #expect(try Self.rows(Self.actual, store) == (try Self.rows(Self.expected, store)))
        #expect(try store.stream(named: "k")?.lastIssued == nonce, "the contract's INSTEAD OF trigger ran")
    }
}
