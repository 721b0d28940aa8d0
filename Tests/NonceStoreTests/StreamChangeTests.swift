import NonceStore
import NonceTestSupport
import Testing

@Suite("Applying stream changes")
struct StreamChangeTests {
    @Test("streams are created once, in the mode asked for; the other mode is refused")
    func openStream() throws {
        let directory = try TemporaryDirectory()
        let store = try NonceStore(path: directory.database)
        let first = try store.openStream(named: "kraken-main", mode: .exclusive)
        let again = try store.openStream(named: "kraken-main", mode: .exclusive)
        #expect(first.id == again.id)
        #expect(throws: StoreError.modeMismatch(stream: "kraken-main", actual: .exclusive, requested: .shared)) {
            try store.openStream(named: "kraken-main", mode: .shared)
        }
        #expect(throws: StoreError.invalidStreamName("")) { try store.openStream(named: "", mode: .exclusive) }
    }

    @Test("history rows land exactly, in order, whether they fill multi-row groups or not", arguments: [1, 63, 64, 65, 200])
    func historyRowsExact(count: Int) throws {
        let directory = try TemporaryDirectory()
        let store = try NonceStore(path: directory.database)
        let stream = try store.openStream(named: "default", mode: .exclusive)
        var change = StreamChange(streamID: stream.id)
        change.pid = 4242
        change.history = (0..<count).map { index in
            HistoryRow(nonce: 1_000 + Int64(index) * 7, issuedAt: 5_000 + Int64(index), label: index % 3 == 0 ? nil : "call \(index)")
        }
        change.lastIssued = change.history.last?.nonce
        change.highWaterMark = change.lastIssued
        try store.apply(change, durable: false)
        let read = try store.history(stream: "default", limit: count + 1).reversed()
        #expect(read.map(\.nonce) == change.history.map(\.nonce))
        #expect(read.map(\.issuedAt) == change.history.map(\.issuedAt))
        #expect(read.map(\.label) == change.history.map(\.label))
        #expect(read.allSatisfy { $0.pid == 4242 && $0.stream == "default" })
    }

    @Test("marks and last_issued never go down; counters add up")
    func marksOnlyRise() throws {
        let directory = try TemporaryDirectory()
        let store = try NonceStore(path: directory.database)
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
    func releasedMark() throws {
        let directory = try TemporaryDirectory()
        let store = try NonceStore(path: directory.database)
        let stream = try store.openStream(named: "default", mode: .exclusive)
        var change = StreamChange(streamID: stream.id)
        change.highWaterMark = 5_000
        change.lastIssued = 4_000
        try store.apply(change, durable: true)
        var release = StreamChange(streamID: stream.id)
        release.releasedMark = 3_000
        try store.apply(release, durable: true)
        #expect(try store.stream(named: "default")?.highWaterMark == 4_000)
        #expect(try store.stream(named: "default")?.floor == 4_000)
    }

    @Test("history rows are unique per stream: the schema refuses a duplicate")
    func historyUnique() throws {
        let directory = try TemporaryDirectory()
        let store = try NonceStore(path: directory.database)
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
        _ = try NonceStore(path: directory.database)
        let store = try NonceStore(path: directory.database, configuration: .init(prepareDatabase: { connection in
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
