import Foundation
import NonceBackend
@testable import NonceKit
#if PostgreSQL
import NoncePostgres
#endif
import NonceSQLite
import NonceTestSupport
import Testing

/// Every requirement of `NonceBackend`, checked on every backend from one suite: SQLite
/// always, PostgreSQL whenever the run has a server (CI always does). A second backend is
/// done when this suite passes on it unchanged.
@Suite("NonceBackend conformance")
struct BackendConformanceTests {
    /// A fresh database of the backend's kind, opened as a store; `second` opens it again,
    /// as another process would.
    struct Fixture {
        let directory: TemporaryDirectory
        let database: String
        let store: any NonceBackend

        init(_ backend: TestBackend) throws {
            directory = try TemporaryDirectory()
            database = backend.database(in: directory)
            store = try BackendOpener.open(database)
        }

        func second() throws -> any NonceBackend { try BackendOpener.open(database) }

        func record(_ name: String) throws -> StreamRecord { try #require(try store.stream(named: name)) }
    }

    static let second: Int64 = 1_000_000_000

    @Test("streams: created in a mode, listed by name, the other mode refused, modes switched only while free",
          arguments: TestBackend.available)
    func streamsAndModes(backend: TestBackend) throws {
        let fixture = try Fixture(backend)
        let store = fixture.store
        #expect(!store.path.isEmpty)
        #expect(try store.stream(named: "b") == nil)
        let b = try store.openStream(named: "b", mode: .exclusive)
        let a = try store.openStream(named: "a", mode: .shared)
        #expect(b.mode == .exclusive && a.mode == .shared && a.id != b.id)
        #expect(try store.openStream(named: "b", mode: .exclusive) == b, "opening again finds the same stream")
        #expect(try store.streams().map(\.name) == ["a", "b"])
        #expect(throws: NonceStoreError.self) { try store.openStream(named: "b", mode: .shared) }
        do { _ = try store.openStream(named: "b", mode: .shared) } catch let error as NonceStoreError { #expect(error.code == .modeMismatch) }
        do { _ = try store.openStream(named: "", mode: .shared) } catch let error as NonceStoreError { #expect(error.code == .invalidStreamName) }

        #expect(try store.setMode(.shared, stream: "b"))
        #expect(try !store.setMode(.shared, stream: "b"), "already shared")
        let claim = try store.claim(try fixture.record("b"), wait: nil, shared: true)
        do {
            try store.setMode(.exclusive, stream: "b")
            Issue.record("the mode of a held stream changed")
        } catch let error as NonceStoreError {
            #expect(error.code == .streamHeld)
        }
        claim.release()
        #expect(try store.setMode(.exclusive, stream: "b"))
        do {
            try store.setMode(.shared, stream: "missing")
            Issue.record("a missing stream's mode changed")
        } catch let error as NonceStoreError {
            #expect(error.code == .streamNotFound)
        }
    }

    @Test("claims: an exclusive claim keeps every other out, shared claims coexist, a release frees the stream",
          arguments: TestBackend.available)
    func claims(backend: TestBackend) throws {
        let fixture = try Fixture(backend)
        let other = try fixture.second()
        let record = try fixture.store.openStream(named: "k", mode: .exclusive)
        #expect(!fixture.store.isHeld(record))
        let claim = try fixture.store.claim(record, wait: nil, shared: false)
        #expect(claim.stream == "k")
        #expect(other.isHeld(record))
        do {
            _ = try other.claim(record, wait: nil, shared: false)
            Issue.record("a second exclusive claim was granted")
        } catch let error as NonceStoreError {
            #expect(error.code == .streamHeld)
        }
        #expect(throws: NonceStoreError.self) { _ = try other.claim(record, wait: .milliseconds(50), shared: true) }
        claim.release()
        #expect(!other.isHeld(record))

        let first = try fixture.store.claim(record, wait: nil, shared: true)
        let beside = try other.claim(record, wait: nil, shared: true)
        #expect(throws: NonceStoreError.self, "an exclusive claim waits for every shared one") {
            _ = try fixture.second().claim(record, wait: nil, shared: false)
        }
        first.release()
        beside.release()
        let after = try other.claim(record, wait: .seconds(5), shared: false)
        after.release()
    }

    @Test("the API lock: one holder across stores at a time, free again once unlocked", arguments: TestBackend.available)
    func apiLock(backend: TestBackend) throws {
        let fixture = try Fixture(backend)
        let record = try fixture.store.openStream(named: "s", mode: .shared)
        let mine = try fixture.store.apiLock(for: record)
        let theirs = try fixture.second().apiLock(for: record)
        #expect(try mine.tryLock())
        #expect(try !theirs.tryLock())
        mine.unlock()
        #expect(try theirs.tryLock())
        #expect(try !mine.tryLock())
        theirs.unlock()
    }

    @Test("the holder: recorded, cleared on release, and a holder that never released counts as an unclean stop",
          arguments: TestBackend.available)
    func holder(backend: TestBackend) throws {
        let fixture = try Fixture(backend)
        let store = fixture.store
        let id = try store.openStream(named: "k", mode: .exclusive).id
        #expect(try store.setHolder(streamID: id, pid: 4242) == nil)
        #expect(try fixture.record("k").holderPID == 4242)
        #expect(try store.setHolder(streamID: id, pid: 4343) == 4242, "4242 never released")
        #expect(try fixture.record("k").uncleanStops == 1)
        #expect(try store.events(stream: "k", limit: 10).contains { $0.kind == EventKind.uncleanStop.rawValue })
        #expect(try store.setHolder(streamID: id, pid: nil) == nil)
        #expect(try fixture.record("k").holderPID == nil)
        #expect(try store.setHolder(streamID: id, pid: 4444) == nil, "a clean release leaves nothing to count")
        #expect(try fixture.record("k").uncleanStops == 1)
    }

    @Test("durable changes: state, counters, history and events land together; the clock's last reading is kept",
          arguments: TestBackend.available)
    func durableChanges(backend: TestBackend) throws {
        let fixture = try Fixture(backend)
        let store = fixture.store
        let id = try store.openStream(named: "k", mode: .exclusive).id
        let base = WallClock.nanoseconds()
        var change = StreamChange(streamID: id)
        change.lastIssued = base + 2
        change.highWaterMark = base + Self.second
        change.issuedDelta = 2
        change.markRenewalsDelta = 1
        change.history = [HistoryRow(nonce: base + 1, issuedAt: base + 1), HistoryRow(nonce: base + 2, issuedAt: base + 2, label: "order")]
        change.pid = 77
        change.events = [EventRow(at: base, kind: .jump, detail: "a test jump", floor: base + 2)]
        try store.apply(change, durable: true)
        let record = try fixture.record("k")
        #expect(record.lastIssued == base + 2 && record.highWaterMark == base + Self.second)
        #expect(record.issuedTotal == 2 && record.markRenewals == 1)
        let history = try store.history(stream: "k", limit: 10)
        #expect(history.map(\.nonce) == [UInt64(base + 2), UInt64(base + 1)], "newest first")
        #expect(history.first?.label == "order" && history.first?.pid == 77)
        #expect(try store.history(stream: "k", limit: 1).count == 1)
        let events = try store.events(stream: "k", limit: 10)
        #expect(events.contains { $0.kind == "jump" && $0.detail == "a test jump" })
        #expect(try store.lastClockReading(streamID: id) >= base + 2)

        try store.recordClockBehind(streamID: id, now: base - Self.second, recorded: base + 2, pid: 78)
        #expect(try fixture.record("k").clockRegressions == 1)
        #expect(try store.events(stream: "k", limit: 10).contains { $0.kind == EventKind.clockRegression.rawValue })
    }

    @Test("floor repair: history above the state raises the state to it, once", arguments: TestBackend.available)
    func floorRepair(backend: TestBackend) throws {
        let fixture = try Fixture(backend)
        let store = fixture.store
        let id = try store.openStream(named: "k", mode: .exclusive).id
        let base = WallClock.nanoseconds()
        var history = StreamChange(streamID: id)
        history.history = [HistoryRow(nonce: base + 5 * Self.second, issuedAt: base)]
        try store.apply(history, durable: true)
        let repair = try #require(try store.repairFloor(streamID: id))
        #expect(repair.historyFloor == base + 5 * Self.second && repair.stateFloor < repair.historyFloor)
        #expect(try fixture.record("k").floor == base + 5 * Self.second)
        #expect(try fixture.record("k").floorRepairs == 1)
        #expect(try store.repairFloor(streamID: id) == nil, "nothing left to repair")
    }

    @Test("shared issuing: max(now, floor + 1) with its history row, a clock step back counted, jumps from max(floor, now)",
          arguments: TestBackend.available)
    func sharedIssuing(backend: TestBackend) throws {
        let fixture = try Fixture(backend)
        let store = fixture.store
        _ = try store.openStream(named: "s", mode: .shared)
        let now = WallClock.nanoseconds()
        let first = try store.issueShared(stream: "s", now: now, pid: 1, label: "a", clockStepBack: nil)
        #expect(first >= now)
        let second = try store.issueShared(stream: "s", now: now - Self.second, pid: 2, label: nil, clockStepBack: Self.second)
        #expect(second > first)
        if backend == .sqlite {
            // A server issues from its own clock, so no client's clock can reorder nonces: the
            // caller's reading and step back count on a backend without a clock of its own.
            #expect(second == first + 1, "a clock behind the floor continues at floor + 1")
            #expect(try fixture.record("s").clockRegressions == 1)
        }
        #expect(try store.history(stream: "s", limit: 5).map(\.nonce) == [UInt64(second), UInt64(first)])

        let floor = try store.jumpShared(stream: "s", by: 60 * Self.second, now: now, reason: "test")
        #expect(floor >= max(second, now) + 60 * Self.second)
        #expect(try store.issueShared(stream: "s", now: now, pid: 1, label: nil, clockStepBack: nil) > floor)
        #expect(try fixture.record("s").jumps == 1)

        _ = try store.openStream(named: "x", mode: .exclusive)
        for (stream, code) in [("x", NonceStoreError.Code.modeMismatch), ("missing", .streamNotFound)] {
            do {
                _ = try store.issueShared(stream: stream, now: now, pid: 1, label: nil, clockStepBack: nil)
                Issue.record("issued on '\(stream)'")
            } catch let error as NonceStoreError {
                #expect(error.code == code, "\(error)")
            }
        }
    }

    @Test("exhaustion arrives as exhausted, from the store and through the manager, in both modes",
          arguments: TestBackend.available)
    func exhaustion(backend: TestBackend) throws {
        let fixture = try Fixture(backend)
        let store = fixture.store
        for mode in StreamMode.allCases {
            let name = "full-\(mode.rawValue)"
            var change = StreamChange(streamID: try store.openStream(named: name, mode: mode).id)
            change.lastIssued = .max
            change.highWaterMark = .max
            try store.apply(change, durable: true)
            if mode == .shared {
                do {
                    _ = try store.issueShared(stream: name, now: WallClock.nanoseconds(), pid: 1, label: nil, clockStepBack: nil)
                    Issue.record("a nonce above 2^63-1")
                } catch let error as NonceStoreError {
                    #expect(error.code == .exhausted, "\(error)")
                }
            }
            do {
                let manager = try NonceManager(database: fixture.database, configuration: .init(stream: name, mode: mode))
                defer { try? manager.close() }
                _ = try manager.next()
                Issue.record("a nonce above 2^63-1 from the manager")
            } catch {
                #expect(error.code == .exhausted, "\(mode): \(error)")
            }
        }
    }

    @Test("rejections are counted in a row and ended by a success, across stores", arguments: TestBackend.available)
    func rejections(backend: TestBackend) throws {
        let fixture = try Fixture(backend)
        _ = try fixture.store.openStream(named: "s", mode: .shared)
        let now = WallClock.nanoseconds()
        #expect(try fixture.store.recordRejection(stream: "s", at: now, detail: "EAPI:Invalid nonce") == 1)
        #expect(try fixture.second().recordRejection(stream: "s", at: now + 1, detail: "EAPI:Invalid nonce") == 2)
        #expect(try fixture.store.recordSuccess(stream: "s", at: now + 2) == 2)
        #expect(try fixture.store.recordSuccess(stream: "s", at: now + 3) == 0)
        let record = try fixture.record("s")
        #expect(record.consecutiveRejections == 0 && record.rejectionsTotal == 2)
        #expect(try fixture.store.events(stream: "s", limit: 10).filter { $0.kind == EventKind.rejection.rawValue }.count == 2)
    }

    @Test("the rate counter: takes until full, then the exact wait; a held charge adds back what decayed",
          arguments: TestBackend.available)
    func rateCounter(backend: TestBackend) throws {
        let fixture = try Fixture(backend)
        let store = fixture.store
        _ = try store.openStream(named: "s", mode: .shared)
        let t = WallClock.nanoseconds()
        func take(at now: Int64) throws -> Int64 {
            try store.takeRateCounter(stream: "s", cost: 1, maximum: 2, decayPerSecond: 1, now: now)
        }
        #expect(try take(at: t) == 0)
        #expect(try fixture.second().takeRateCounter(stream: "s", cost: 1, maximum: 2, decayPerSecond: 1, now: t) == 0,
                "one counter for every store")
        #expect(try take(at: t) == Self.second, "full: one second until one call fits")
        #expect(try take(at: t + Self.second / 2) == Self.second / 2)
        try store.holdRateCharge(stream: "s", cost: 1, decayPerSecond: 1, takenAt: t, now: t + Self.second / 2)
        #expect(try take(at: t + Self.second / 2) == Self.second, "the half that decayed while the call ran is back")
        #expect(try take(at: t + 3 * Self.second / 2) == 0)
        #expect(try take(at: t - Self.second) > 0, "a clock behind the counter decays nothing")
    }

    @Test("verify, prune, checkpoints and sizes", arguments: TestBackend.available)
    func maintenance(backend: TestBackend) throws {
        let fixture = try Fixture(backend)
        let store = fixture.store
        _ = try store.openStream(named: "s", mode: .shared)
        let now = WallClock.nanoseconds()
        var issued: [Int64] = []
        for offset in 0..<10 { issued.append(try store.issueShared(stream: "s", now: now + Int64(offset), pid: 1, label: nil, clockStepBack: nil)) }
        #expect(try store.verify(stream: nil).isValid)
        #expect(try store.verify(stream: "s").isValid)
        let pruned = try store.pruneHistory(stream: "s", issuedBefore: nil, keep: 3)
        #expect(pruned == PruneResult(stream: "s", deleted: 7, remaining: 3))
        #expect(try store.history(stream: "s", limit: 10).map(\.nonce) == issued.suffix(3).reversed().map(UInt64.init))
        #expect(try fixture.record("s").floor == issued.last, "pruning leaves the floor")
        #expect(try store.events(stream: "s", limit: 10).contains { $0.kind == EventKind.prune.rawValue })
        let byAge = try store.pruneHistory(stream: "s", issuedBefore: issued[8] + 1, keep: nil, chunk: 1)
        #expect(byAge.deleted == 2 && byAge.remaining == 1)
        _ = try store.checkpoint()
        #expect(try store.checkpointIfDue() == nil, "a small log needs nothing")
        #expect(store.fileSizes().database > 0)
        #expect(try store.verify(stream: nil).isValid, "pruned history leaves the rollup larger, which is fine")
        // A writer that bypassed the rollup: here its rows are deleted behind the store's back.
        try Self.execute("DELETE FROM history_seconds", on: store)
        let report = try store.verify(stream: "s")
        #expect(report.problems.contains { $0.stream == "s" && $0.message.contains("history_seconds counts fewer") },
                "\(report.problems)")
    }

    /// Runs `sql` on the backend's own connection: for damage no API can do.
    static func execute(_ sql: String, on store: any NonceBackend) throws {
        if let sqlite = store as? SQLiteStore {
            try sqlite.withConnection { try $0.execute(sql) }
            return
        }
        #if PostgreSQL
        if let postgres = store as? PostgresStore {
            try postgres.execute(sql: sql)
            return
        }
        #endif
        Issue.record("no way to run SQL on \(type(of: store))")
    }

    @Test("a legacy import raises the floor only ever up, once per set of files", arguments: TestBackend.available)
    func legacyImport(backend: TestBackend) throws {
        let fixture = try Fixture(backend)
        let store = fixture.store
        let floor = WallClock.nanoseconds() + 3_600 * Self.second
        let file = LegacyFileRecord(path: "bot/nonce.txt", size: 19, sha256: String(repeating: "ab", count: 32), format: "plain",
                                    unit: "ns", rawValue: String(floor), normalized: floor, accepted: true, reason: "")
        #expect(try !store.wasImported([file], stream: "k"))
        let commit = try store.recordLegacyImport(id: "import-1", stream: "k", files: [file], floor: floor, summary: "test import")
        #expect(commit == LegacyImportCommit(floorBefore: 0, floorAfter: floor, recorded: true))
        #expect(try fixture.record("k").floor == floor)
        #expect(try store.wasImported([file], stream: "k"))
        let again = try store.recordLegacyImport(id: "import-2", stream: "k", files: [file], floor: floor, summary: "test import")
        #expect(!again.recorded && again.floorAfter == floor)
        var lower = file
        lower.sha256 = String(repeating: "cd", count: 32)
        let low = try store.recordLegacyImport(id: "import-3", stream: "k", files: [lower], floor: floor - Self.second, summary: "lower")
        #expect(low.floorAfter == floor, "a lower import never lowers the floor")
        #expect(try store.events(stream: "k", limit: 10).contains { $0.kind == EventKind.`import`.rawValue })
    }

    @Test("a received copy arrives in its mode above every nonce it had, never lowering the floor; the other mode is refused",
          arguments: TestBackend.available)
    func receiveCopy(backend: TestBackend) throws {
        let fixture = try Fixture(backend)
        let store = fixture.store
        let now = WallClock.nanoseconds()
        let source = StreamRecord(id: 999, name: "c", mode: .shared, lastIssued: now + 10, highWaterMark: now + 10, issuedTotal: 3,
                                  markRenewals: 0, clockRegressions: 0, jumps: 0, createdAt: now, updatedAt: now,
                                  consecutiveRejections: 0, rejectionsTotal: 0)
        let rows = [HistoryEntry](try {
            let other = try Fixture(backend)
            _ = try other.store.openStream(named: "c", mode: .shared)
            for offset in [8, 9, 10] as [Int64] {
                _ = try other.store.issueShared(stream: "c", now: now + offset, pid: 1, label: nil, clockStepBack: nil)
            }
            return try other.store.history(stream: "c", limit: 10)
        }())
        let commit = try store.receiveCopy(of: source, floor: now + 10, history: rows, detail: "copied in a test")
        #expect(commit.floorBefore == 0 && commit.floorAfter >= now + 10 && commit.historyRows == rows.count)
        let record = try fixture.record("c")
        #expect(record.mode == .shared && record.floor >= now + 10)
        #expect(try store.events(stream: "c", limit: 10).contains { $0.kind == EventKind.copy.rawValue })

        let lower = try store.receiveCopy(of: source, floor: now, history: [], detail: "an older copy")
        #expect(lower.floorAfter == commit.floorAfter, "never lowers")
        var exclusive = source
        exclusive.mode = .exclusive
        do {
            _ = try store.receiveCopy(of: exclusive, floor: now, history: [], detail: "other mode")
            Issue.record("a copy in the other mode was received")
        } catch let error as NonceStoreError {
            #expect(error.code == .modeMismatch)
        }
    }

    @Test("orphaned history stops a stream from the clock; an import at or above it adopts history and events",
          arguments: TestBackend.available)
    func adoption(backend: TestBackend) throws {
        let fixture = try Fixture(backend)
        let store = fixture.store
        _ = try store.openStream(named: "k", mode: .shared)
        let now = WallClock.nanoseconds()
        let floor = try store.jumpShared(stream: "k", by: 3_600 * Self.second, now: now, reason: "test")
        let top = try store.issueShared(stream: "k", now: now, pid: 1, label: nil, clockStepBack: nil)
        try Self.removeStreamRow("k", backend: backend, store: store)
        #expect(try store.stream(named: "k") == nil)
        do {
            _ = try store.openStream(named: "k", mode: .shared)
            Issue.record("a stream was created from the clock below its orphaned history")
        } catch let error as NonceStoreError {
            #expect(error.code == .orphanedHistory && error.nonce == top, "\(error)")
        }
        let commit = try store.recordLegacyImport(id: "adopt", stream: "k", files: [], floor: top, summary: "adopt")
        #expect(commit.floorAfter == top)
        #expect(try store.history(stream: "k", limit: 10).map(\.nonce) == [UInt64(top)], "the history was adopted")
        let events = try store.events(stream: "k", limit: 20)
        #expect(events.contains { $0.kind == EventKind.historyAdopted.rawValue })
        #expect(events.contains { $0.kind == EventKind.jump.rawValue }, "the events were adopted too")
        #expect(try fixture.record("k").floor >= max(top, floor))
        #expect(try store.verify(stream: nil).isValid)
    }

    /// The damage a lost page (or a hand-written DELETE) does: the stream's row goes, its
    /// history and events stay. The guards that refuse this are switched off first.
    static func removeStreamRow(_ name: String, backend: TestBackend, store: any NonceBackend) throws {
        switch store {
        case let sqlite as SQLiteStore:
            try sqlite.withConnection { connection in
                try connection.execute("PRAGMA foreign_keys = OFF")
                try connection.execute("DROP TRIGGER streams_keep_history")
                try connection.execute("DELETE FROM streams WHERE name = '\(name)'")
                try connection.execute("PRAGMA foreign_keys = ON")
            }
        #if PostgreSQL
        case let postgres as PostgresStore:
            try postgres.execute(sql: """
                SET session_replication_role = replica;
                DELETE FROM rate_counters WHERE stream_id = (SELECT id FROM streams WHERE name = '\(name)');
                DELETE FROM streams WHERE name = '\(name)';
                SET session_replication_role = origin;
                """)
        #endif
        default:
            Issue.record("no way to damage a \(type(of: store)) in \(backend)")
        }
    }
}
