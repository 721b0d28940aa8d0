import NonceBackend
import NonceSQLite
import NonceTestSupport
import Testing

@Suite("Applying stream changes")
struct StreamChangeTests {
    @Test("streams are created once, in the mode asked for; the other mode is refused")
    func openStream() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.database)
        let first = try store.openStream(named: "kraken-main", mode: .exclusive)
        let again = try store.openStream(named: "kraken-main", mode: .exclusive)
        #expect(first.id == again.id)
        #expect(throws: NonceStoreError.modeMismatch(stream: "kraken-main", actual: .exclusive, requested: .shared)) {
            try store.openStream(named: "kraken-main", mode: .shared)
        }
        #expect(throws: NonceStoreError.invalidStreamName("", reason: "it is empty")) { try store.openStream(named: "", mode: .exclusive) }
    }

    @Test("history rows land exactly, in order, whether they fill multi-row groups or not", arguments: [1, 63, 64, 65, 200])
    func historyRowsExact(count: Int) throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.database)
        let stream = try store.openStream(named: "default", mode: .exclusive)
        var change = StreamChange(streamID: stream.id)
        change.pid = 4242
        let rows = (0..<count).map { index in
            HistoryRow(nonce: 1_000 + Int64(index) * 7, issuedAt: 5_000 + Int64(index), label: index % 3 == 0 ? nil : "call \(index)")
        }
        change.history = HistoryRows(rows)
        change.lastIssued = change.history.last?.nonce
        change.highWaterMark = change.lastIssued
        try store.apply(change, durable: false)
        let read = try store.history(stream: "default", limit: count + 1).reversed()
        #expect(read.map(\.nonce) == change.history.map { UInt64($0.nonce) })
        #expect(read.map(\.issuedAt) == change.history.map(\.issuedAt))
        #expect(read.map(\.label) == change.history.map(\.label))
        #expect(read.allSatisfy { $0.pid == 4242 && $0.stream == "default" })
    }

    @Test("rows given as chunks land exactly, in order, with multi-row groups spanning chunk borders")
    func historyChunksExact() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.database)
        let stream = try store.openStream(named: "default", mode: .exclusive)
        let sizes = [30, 0, 50, 7, 64, 1, 129]
        var next: Int64 = 1_000
        let chunks = sizes.map { size in
            (0..<size).map { _ in
                next += 3
                return HistoryRow(nonce: next, issuedAt: next / 2, label: next % 2 == 0 ? "even" : nil)
            }
        }
        var change = StreamChange(streamID: stream.id)
        change.history = HistoryRows(chunks: chunks)
        #expect(change.history.count == sizes.reduce(0, +))
        #expect(change.history == HistoryRows(chunks.flatMap { $0 }))
        change.lastIssued = change.history.last?.nonce
        try store.apply(change, durable: false)
        let read = try store.history(stream: "default", limit: 1_000).reversed()
        #expect(read.map(\.nonce) == chunks.flatMap { $0 }.map { UInt64($0.nonce) })
        #expect(read.map(\.label) == chunks.flatMap { $0 }.map(\.label))
    }

    @Test("marks and last_issued never go down; counters add up")
    func marksOnlyRise() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.database)
        let stream = try store.openStream(named: "default", mode: .exclusive)
        var change = StreamChange(streamID: stream.id)
        change.highWaterMark = 1_000
        change.lastIssued = 900
        change.issuedDelta = 3
        try store.apply(change, durable: true)
        change.highWaterMark = 500
        change.lastIssued = 100
        try store.apply(change, durable: false)
        let record = try #require(try store.stream(named: "default"))
        #expect(record.highWaterMark == 1_000)
        #expect(record.lastIssued == 900)
        #expect(record.issuedTotal == 6)
    }

    @Test("a released mark may come down, but never below last_issued")
    func releasedHighWaterMark() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.database)
        let stream = try store.openStream(named: "default", mode: .exclusive)
        var change = StreamChange(streamID: stream.id)
        change.highWaterMark = 5_000
        change.lastIssued = 4_000
        try store.apply(change, durable: true)
        var release = StreamChange(streamID: stream.id)
        release.releasedHighWaterMark = 3_000
        try store.apply(release, durable: true)
        #expect(try store.stream(named: "default")?.highWaterMark == 4_000)
        #expect(try store.stream(named: "default")?.floor == 4_000)
    }

    @Test("history rows are unique per stream: the schema refuses a duplicate")
    func historyUnique() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.database)
        let stream = try store.openStream(named: "default", mode: .exclusive)
        var change = StreamChange(streamID: stream.id)
        change.lastIssued = 10
        change.history = [HistoryRow(nonce: 10, issuedAt: 1)]
        try store.apply(change, durable: false)
        let error = #expect(throws: DatabaseError.self) { try store.apply(change, durable: false) }
        #expect(error?.isConstraintViolation == true)
        #expect(try store.historySummary(stream: "default").count == 1)
    }

    @Test("a full database refuses a new stream with SQLITE_FULL and writes nothing")
    func fullDatabase() throws {
        let directory = try TemporaryDirectory()
        _ = try SQLiteStore(path: directory.database)
        let store = try SQLiteStore(path: directory.database, configuration: .init(prepareDatabase: { connection in
            let pages = try connection.scalarInt64("PRAGMA page_count") ?? 0
            try connection.execute("PRAGMA max_page_count = \(pages)")
        }))
        // Fill what room is left, then one more stream cannot fit.
        var created = 0
        var failure: (any Error)?
        while failure == nil && created < 10_000 {
            do {
                _ = try store.openStream(named: "stream-\(created)-" + String(repeating: "x", count: 150), mode: .exclusive)
                created += 1
            } catch {
                failure = error
            }
        }
        let storeError = try #require(failure as? DatabaseError)
        #expect(storeError.isFull)
        #expect(try store.streams().count == created)
    }
}
