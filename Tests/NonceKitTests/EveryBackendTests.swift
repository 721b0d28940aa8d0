import Foundation
import NonceBackend
import NonceKit
import NonceMigration
import NonceTestSupport
import Synchronization
import Testing

/// The promises, checked on every backend from one suite: SQLite always, PostgreSQL when
/// the run has a server (`TestBackend`).
@Suite("Every backend keeps the promises")
struct EveryBackendTests {
    @Test("threads get unique, per-thread increasing nonces, all in the history", arguments: TestBackend.available)
    func threads(backend: TestBackend) throws {
        let directory = try TemporaryDirectory()
        let database = backend.database(in: directory)
        let manager = try NonceManager(database: database, configuration: .init(stream: "k"))
        let threads = 8, perThread = 500
        let results = Mutex([[UInt64]](repeating: [], count: threads))
        DispatchQueue.concurrentPerform(iterations: threads) { index in
            var mine: [UInt64] = []
            for _ in 0..<perThread { if let nonce = try? manager.next() { mine.append(nonce) } }
            results.withLock { $0[index] = mine }
        }
        try manager.close()
        let all = results.withLock { $0 }
        for sequence in all {
            #expect(sequence.count == perThread)
            #expect(zip(sequence, sequence.dropFirst()).allSatisfy { $0 < $1 })
        }
        #expect(Set(all.joined()).count == threads * perThread)
        let inspector = try NonceInspector(database: database)
        let stats = try inspector.stats(of: "k")
        #expect(stats.issuedTotal == Int64(threads * perThread))
        #expect(stats.lastIssued == all.joined().max())
        #expect(try inspector.verify().isValid)
    }

    @Test("a restart continues above everything issued before", arguments: TestBackend.available)
    func restart(backend: TestBackend) throws {
        let directory = try TemporaryDirectory()
        let database = backend.database(in: directory)
        var highest: UInt64 = 0
        for _ in 0..<3 {
            let manager = try NonceManager(database: database, configuration: .init(stream: "k"))
            let first = try manager.next()
            #expect(first > highest)
            for _ in 0..<200 { highest = try manager.next() }
            try manager.close()
        }
        #expect(try NonceInspector(database: database).stats(of: "k").issuedTotal == 603)
    }

    @Test("a second holder of an exclusive stream is refused, and takes over once it is released",
          arguments: TestBackend.available)
    func exclusiveRefusal(backend: TestBackend) throws {
        let directory = try TemporaryDirectory()
        let database = backend.database(in: directory)
        let first = try NonceManager(database: database, configuration: .init(stream: "k"))
        let issued = try first.next()
        let refusal = #expect(throws: NonceStoreError.self) {
            try NonceManager(database: database, configuration: .init(stream: "k"))
        }
        #expect(refusal?.code == .streamHeld)
        #expect(refusal?.holderPID == getpid())
        if backend == .postgres { #expect(refusal?.holderHost == ProcessInfo.processInfo.hostName) }
        try first.close()
        let second = try NonceManager(database: database, configuration: .init(stream: "k"))
        #expect(try second.next() > issued)
        try second.close()
    }

    @Test("managers on one shared stream interleave one strictly increasing, fully recorded sequence",
          arguments: TestBackend.available)
    func sharedInterleave(backend: TestBackend) throws {
        let directory = try TemporaryDirectory()
        let database = backend.database(in: directory)
        let managers = try (0..<3).map { _ in try NonceManager(database: database, configuration: .init(stream: "s", mode: .shared)) }
        var issued: [UInt64] = []
        for round in 0..<90 { issued.append(try managers[round % 3].next(label: "r\(round)")) }
        #expect(zip(issued, issued.dropFirst()).allSatisfy { $0 < $1 })
        let inspector = try NonceInspector(database: database)
        #expect(try inspector.history(of: "s", limit: 1_000).map(\.nonce) == issued.reversed())
        #expect(try inspector.history(of: "s", limit: 1).first?.label == "r89")
        for manager in managers { try manager.close() }
        #expect(try inspector.verify().isValid)
    }

    @Test("the API lock keeps bodies apart across managers of one shared stream", arguments: TestBackend.available)
    func apiLockAcrossManagers(backend: TestBackend) throws {
        let directory = try TemporaryDirectory()
        let database = backend.database(in: directory)
        let managers = try (0..<2).map { _ in try NonceManager(database: database, configuration: .init(stream: "s", mode: .shared)) }
        let probe = OverlapProbe()
        let nonces = Mutex<[UInt64]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { index in
            for _ in 0..<10 {
                try? managers[index % 2].withAPILock { nonce in
                    probe.enter()
                    defer { probe.leave() }
                    usleep(500)
                    nonces.withLock { $0.append(nonce) }
                }
            }
        }
        #expect(probe.overlaps == 0)
        let order = nonces.withLock { $0 }
        #expect(order.count == 40)
        #expect(zip(order, order.dropFirst()).allSatisfy { $0 < $1 }, "bodies ran in nonce order")
        for manager in managers { try manager.close() }
    }

    @Test("a jump moves the floor on both kinds of stream, durably", arguments: TestBackend.available)
    func jumps(backend: TestBackend) throws {
        let directory = try TemporaryDirectory()
        let database = backend.database(in: directory)
        for mode in StreamMode.allCases {
            let manager = try NonceManager(database: database, configuration: .init(stream: mode.rawValue, mode: mode))
            let floor = try manager.jump(by: .seconds(60), reason: "test")
            #expect(try manager.next() > floor)
            try manager.close()
            let reopened = try NonceManager(database: database, configuration: .init(stream: mode.rawValue, mode: mode))
            #expect(try reopened.next() > floor)
            try reopened.close()
            #expect(try NonceInspector(database: database).events(of: mode.rawValue, limit: 10).contains { $0.kind == "jump" })
        }
    }

    @Test("a legacy import raises the floor, and the stream continues above it", arguments: TestBackend.available)
    func legacyImport(backend: TestBackend) throws {
        let directory = try TemporaryDirectory()
        let database = backend.database(in: directory)
        let floor: UInt64 = UInt64(WallClock.nanoseconds()) + 3_600_000_000_000
        let store = try BackendOpener.open(database)
        let plan = try LegacyImportPlan(paths: [], values: [String(floor)], options: .init(stream: "k", acceptFuture: true))
        let report = try plan.apply(to: store)
        #expect(report.floorAfter == floor)
        let again = try plan.apply(to: store)
        #expect(again.outcome == .alreadyImported)
        let manager = try NonceManager(database: database, configuration: .init(stream: "k"))
        #expect(try manager.next() > floor)
        try manager.close()
    }

    @Test("nothing lowers a held stream's floor: a release writes the mark no lower than the last nonce",
          arguments: TestBackend.available)
    func releaseKeepsFloor(backend: TestBackend) throws {
        let directory = try TemporaryDirectory()
        let database = backend.database(in: directory)
        let manager = try NonceManager(database: database, configuration: .init(stream: "k", timing: .init(leaseSpan: .seconds(30))))
        var last: UInt64 = 0
        for _ in 0..<100 { last = try manager.next() }
        try manager.close()
        let stats = try NonceInspector(database: database).stats(of: "k")
        #expect(stats.lastIssued == last)
        #expect(stats.highWaterMark >= last)
        #expect(try NonceInspector(database: database).verify(stream: "k").isValid)
    }
}
