import Foundation
import NonceBackend
@testable import NonceKit
import NonceTestSupport
import Testing

/// `NonceInspector.timeline`: buckets summed by the database from `history_seconds`, the
/// series, the lead, the events; on every backend.
@Suite("The incident timeline")
struct TimelineTests {
    static let second: Int64 = 1_000_000_000
    static let minute = 60 * second
    /// A whole ten minutes (2025-11-24 16:00:00Z), so that ten buckets are its minutes.
    static let t0: Int64 = 1_764_000_000 * second

    /// A database of the backend's kind with a known history and known events, written
    /// through the backend as the issuing side writes them.
    struct Fixture {
        let directory: TemporaryDirectory
        let database: String
        let store: any NonceBackend

        init(_ backend: TestBackend) throws {
            directory = try TemporaryDirectory()
            database = backend.database(in: directory)
            store = try BackendOpener.open(database)
        }

        /// Rows of `pid` at `start` + i ms, each nonce `lead` ahead of its time.
        func issue(_ count: Int, stream: String = "k", pid: Int32, label: String?, at start: Int64, lead: Int64 = 0) throws {
            let rows = (0..<Int64(count)).map { HistoryRow(nonce: start + $0 * 1_000_000 + lead, issuedAt: start + $0 * 1_000_000, label: label) }
            try write(stream: stream, pid: pid, rows: rows)
        }

        func write(stream: String = "k", pid: Int32 = 0, rows: [HistoryRow] = [], events: [EventRow] = []) throws {
            let record = try store.openStream(named: stream, mode: .exclusive)
            var change = StreamChange(streamID: record.id)
            change.pid = pid
            change.history = HistoryRows(rows)
            change.issuedDelta = Int64(rows.count)
            change.lastIssued = rows.map(\.nonce).max()
            change.events = events
            try store.apply(change, durable: false)
        }

        var inspector: NonceInspector { NonceInspector(store: store) }

        /// The incident of the tests: an order flow, a second process, a rejection and the
        /// jump that answered it, then a clock that stepped back and a holder that died.
        func writeIncident() throws {
            try issue(100, pid: 101, label: "AddOrder", at: t0 + 5 * second)      // a batch: counted by the writer
            try issue(10, pid: 102, label: nil, at: t0 + 65 * second)               // a few rows: counted by the trigger
            try issue(3, pid: 101, label: "Balance", at: t0 + 70 * second, lead: 2 * second)
            try write(events: TimelineTests.incidentEvents)
            try issue(7, stream: "other", pid: 103, label: nil, at: t0 + 5 * second)
        }
    }

    static let incidentEvents = [
        EventRow(at: t0 + 60 * second, kind: .rejection, detail: "rejection 1 in a row: EAPI:Invalid nonce"),
        EventRow(at: t0 + 68 * second, kind: .jump, detail: "by 2000000000 ns: 3 rejections in a row", floor: t0 + 72 * second),
        EventRow(at: t0 + 75 * second, kind: .recovered, detail: "accepted after 3 rejection(s) in a row"),
        EventRow(at: t0 + 130 * second, kind: .clockRegression, detail: "process 102: the clock stepped back by 5000000 ns"),
        EventRow(at: t0 + 190 * second, kind: .uncleanStop, detail: "process 101 stopped without releasing the stream"),
        EventRow(at: t0 + 250 * second, kind: .floorRepair, detail: "history and events record 5, above last_issued 4", floor: 5),
    ]

    static func expectIncident(_ stream: StreamTimeline) {
        #expect(stream.stream == "k" && stream.stats.stream == "k" && stream.issued == 113)
        #expect(stream.series == [TimelineSeries(pid: 101, label: "AddOrder", issued: 100), TimelineSeries(pid: 102, label: nil, issued: 10),
                                  TimelineSeries(pid: 101, label: "Balance", issued: 3)])
        #expect(stream.buckets.count == 10)
        #expect(stream.buckets.map(\.issued) == [100, 13, 0, 0, 0, 0, 0, 0, 0, 0])
        #expect(stream.buckets.map(\.start) == (0..<10).map { t0 + Int64($0) * minute })
        let first = stream.buckets[0]
        #expect(first.issuedBy == [TimelineSeries(pid: 101, label: "AddOrder", issued: 100)])
        #expect(first.maxNonce == t0 + 5 * second + 99_000_000 && first.lastIssuedAt == first.maxNonce)
        #expect(first.leadNanoseconds == 0, "nonces taken from the clock lead it by nothing")
        let second = stream.buckets[1]
        #expect(second.issuedBy == [TimelineSeries(pid: 102, label: nil, issued: 10), TimelineSeries(pid: 101, label: "Balance", issued: 3)])
        #expect(second.maxNonce == t0 + 72 * TimelineTests.second + 2_000_000 && second.lastIssuedAt == t0 + 70 * TimelineTests.second + 2_000_000)
        #expect(second.leadNanoseconds == 2 * TimelineTests.second, "after the jump the nonce runs 2 s ahead")
        #expect(stream.buckets[2].issuedBy.isEmpty && stream.buckets[2].maxNonce == nil && stream.buckets[2].leadNanoseconds == nil)
        #expect(stream.events == incidentEvents.map { TimelineEvent(at: $0.at, kind: $0.kind.rawValue, detail: $0.detail, floor: $0.floor) })
        #expect(stream.eventsInWindow == 6 && stream.eventsLeftOut == 0)
    }

    @Test("a known history and its events: buckets, series, lead and events exactly", arguments: TestBackend.available)
    func knownIncident(backend: TestBackend) throws {
        let fixture = try Fixture(backend)
        try fixture.writeIncident()
        let timeline = try fixture.inspector.timeline(streams: ["k"], from: Self.t0, until: Self.t0 + 10 * Self.minute, buckets: 10)
        #expect(timeline.from == Self.t0 && timeline.until == Self.t0 + 10 * Self.minute && timeline.bucketNanoseconds == Self.minute)
        #expect(timeline.streams.count == 1)
        Self.expectIncident(try #require(timeline.streams.first))

        let all = try fixture.inspector.timeline(from: Self.t0, until: Self.t0 + 10 * Self.minute, buckets: 10)
        #expect(all.streams.map(\.stream) == ["k", "other"], "every stream, by name")
        #expect(all.streams[1].series == [TimelineSeries(pid: 103, label: nil, issued: 7)])
        #expect(throws: NonceStoreError.self) {
            _ = try fixture.inspector.timeline(streams: ["missing"], from: Self.t0, until: Self.t0 + Self.minute)
        }
    }

    @Test("prune deletes history rows and keeps the rollup: the timeline of a pruned period is unchanged",
          arguments: TestBackend.available)
    func pruneKeepsRollup(backend: TestBackend) throws {
        let fixture = try Fixture(backend)
        try fixture.writeIncident()
        let before = try fixture.inspector.timeline(streams: ["k"], from: Self.t0, until: Self.t0 + 10 * Self.minute, buckets: 10)
        let pruned = try fixture.inspector.pruneHistory(of: "k", keep: 0)
        #expect(pruned.deleted == 113 && pruned.remaining == 0)
        let after = try fixture.inspector.timeline(streams: ["k"], from: Self.t0, until: Self.t0 + 10 * Self.minute, buckets: 10)
        #expect(after.streams[0].buckets == before.streams[0].buckets)
        #expect(after.streams[0].series == before.streams[0].series)
        #expect(try fixture.inspector.events(of: "k", limit: 1).first?.kind == "prune", "the prune is an event of its own")
    }

    @Test("beyond 8 process/label pairs the rest is summed; beyond 500 events the first and last 250 are listed",
          arguments: TestBackend.available)
    func limits(backend: TestBackend) throws {
        let fixture = try Fixture(backend)
        for index in 1...12 {
            try fixture.issue(index, pid: Int32(200 + index), label: "p\(index)", at: Self.t0 + Int64(index) * Self.second)
        }
        let events = (0..<600).map { EventRow(at: Self.t0 + Int64($0) * 100_000_000, kind: .rejection, detail: "rejection \($0 + 1)") }
        try fixture.write(events: events)
        let stream = try fixture.inspector.timeline(from: Self.t0, until: Self.t0 + Self.minute, buckets: 6).streams[0]
        #expect(stream.series.count == 9)
        let top: [Int32?] = [212, 211, 210, 209, 208, 207, 206, 205]
        #expect(stream.series.prefix(8).map(\.pid) == top, "the pairs with the most nonces")
        #expect(stream.series.last == TimelineSeries(pid: nil, label: nil, issued: 1 + 2 + 3 + 4, others: 4))
        #expect(stream.issued == 78 && stream.buckets.reduce(0) { $0 + $1.issued } == 78)
        #expect(stream.buckets[0].issuedBy.last == TimelineSeries(pid: nil, label: nil, issued: 10, others: 4))
        #expect(stream.eventsInWindow == 600 && stream.events.count == 500 && stream.eventsLeftOut == 100)
        #expect(stream.events.prefix(250).map(\.detail) == (1...250).map { "rejection \($0)" })
        #expect(stream.events.suffix(250).map(\.detail) == (351...600).map { "rejection \($0)" })
    }

    @Test("every writer keeps the rollup: batched and synchronous history, the shared stream's SQL contract, a copy, an adoption",
          arguments: TestBackend.available)
    func everyWriter(backend: TestBackend) throws {
        let directory = try TemporaryDirectory()
        let database = backend.database(in: directory)
        let start = WallClock.nanoseconds() - Self.minute
        do {
            let batched = try NonceManager(database: database, configuration: .init(stream: "k"))
            for index in 0..<1_000 { _ = try batched.next(label: index % 3 == 0 ? "AddOrder" : nil) }
            try batched.close()
            let synchronous = try NonceManager(database: database, configuration: .init(stream: "k", history: .init(mode: .synchronous)))
            for _ in 0..<5 { _ = try synchronous.next(label: "sync") }
            try synchronous.close()
            let shared = try NonceManager(database: database, configuration: .init(stream: "s", mode: .shared))
            for _ in 0..<20 { _ = try shared.next(label: "contract") }
            try shared.close()
        }
        let copyDirectory = try TemporaryDirectory()
        let copy = backend.database(in: copyDirectory)
        _ = try NonceDatabase(database).copyStreams(["k"], to: NonceDatabase(copy), withHistory: true)
        for (location, stream) in [(database, "k"), (database, "s"), (copy, "k")] {
            let inspector = try NonceInspector(database: location)
            let timeline = try inspector.timeline(streams: [stream], from: start, until: WallClock.nanoseconds() + Self.minute)
            let history = try inspector.history(of: stream, limit: 10_000)
            var expected: [TimelineSeries] = []
            for row in history {
                if let index = expected.firstIndex(where: { $0.pid == row.pid && $0.label == row.label }) {
                    expected[index].issued += 1
                } else {
                    expected.append(TimelineSeries(pid: row.pid, label: row.label, issued: 1))
                }
            }
            let series = timeline.streams[0].series
            #expect(Set(series) == Set(expected), "\(location) \(stream): the rollup counts what the history holds")
            #expect(timeline.streams[0].issued == Int64(history.count))
        }

        // The rollup's rows go with the history a new stream adopts.
        let store = try BackendOpener.open(database)
        let before = try NonceInspector(store: store).timeline(streams: ["s"], from: start, until: WallClock.nanoseconds() + Self.minute)
        let top = try #require(try store.stream(named: "s")).floor
        try BackendConformanceTests.removeStreamRow("s", backend: backend, store: store)
        _ = try store.recordLegacyImport(id: "adopt", stream: "s", files: [], floor: top, summary: "adopt")
        let after = try NonceInspector(store: store).timeline(streams: ["s"], from: start, until: WallClock.nanoseconds() + Self.minute)
        #expect(after.streams[0].series == before.streams[0].series)
        #expect(after.streams[0].events.contains { $0.kind == EventKind.historyAdopted.rawValue })
    }

    @Test("windows: whole-second buckets of a readable width, aligned to it; bad windows refused")
    func windows() throws {
        let hour = try TimelineWindow(from: Self.t0 + 7 * Self.second, until: Self.t0 + 3_607 * Self.second, buckets: 120)
        #expect(hour.bucketSeconds == 30 && hour.startSecond == Self.t0 / Self.second && hour.bucketCount == 121)
        let short = try TimelineWindow(from: Self.t0, until: Self.t0 + 10 * Self.second + 1, buckets: 120)
        #expect(short.bucketSeconds == 1 && short.bucketCount == 11)
        let month = try TimelineWindow(from: Self.t0, until: Self.t0 + 30 * 86_400 * Self.second, buckets: 10)
        #expect(month.bucketSeconds == 3 * 86_400 && month.startSecond % (3 * 86_400) == 0)
        #expect(throws: NonceStoreError.self) { _ = try TimelineWindow(from: Self.t0, until: Self.t0, buckets: 10) }
        #expect(throws: NonceStoreError.self) { _ = try TimelineWindow(from: Self.t0, until: Self.t0 + Self.second, buckets: 0) }
        #expect(throws: NonceStoreError.self) { _ = try TimelineWindow(from: Self.t0, until: Self.t0 + Self.second, buckets: 1_001) }
    }

    @Test("UTC times: ISO-8601 with or without a zone, epoch seconds; written back the same way")
    func times() {
        #expect(UTCTime.nanoseconds(parsing: "2025-11-24T16:00:00Z") == Self.t0)
        #expect(UTCTime.nanoseconds(parsing: "2025-11-24 16:00") == Self.t0)
        #expect(UTCTime.nanoseconds(parsing: "2025-11-24T17:00:00+01:00") == Self.t0)
        #expect(UTCTime.nanoseconds(parsing: "2025-11-24T16:00:00.25Z") == Self.t0 + 250_000_000)
        #expect(UTCTime.nanoseconds(parsing: "1764000000") == Self.t0)
        #expect(UTCTime.nanoseconds(parsing: "1764000000.5") == Self.t0 + 500_000_000)
        for bad in ["", "yesterday", "2025-13-01T00:00Z", "2025-11-24T16:00:00Q", "1764000000.", "-5"] {
            #expect(UTCTime.nanoseconds(parsing: bad) == nil, "\(bad)")
        }
        #expect(UTCTime.text(Self.t0) == "2025-11-24 16:00:00Z")
        #expect(UTCTime.text(Self.t0 + 250_000_000, digits: 3) == "2025-11-24 16:00:00.250Z")
        #expect(UTCTime.text(951_782_400 * Self.second) == "2000-02-29 00:00:00Z", "a leap day")
        #expect(UTCTime.timeOfDay(Self.t0 + 3_723 * Self.second) == "17:02:03")
    }
}
