import Foundation
import NonceKit
import NonceBackend
import NonceSQLite
import NonceTestSupport
import Testing

@Suite("Shared streams in one process")
struct SharedStreamTests {
    @Test("two managers on one shared stream interleave one strictly increasing, fully recorded sequence")
    func twoManagersInterleave() throws {
        let directory = try TemporaryDirectory()
        let first = try NonceManager(path: directory.database, configuration: .init(stream: "k", mode: .shared))
        let second = try NonceManager(path: directory.database, configuration: .init(stream: "k", mode: .shared))
        var issued: [UInt64] = []
        for round in 0..<200 {
            issued.append(try (round.isMultiple(of: 2) ? first : second).next(label: "r\(round)"))
        }
        #expect(zip(issued, issued.dropFirst()).allSatisfy { $0 < $1 })
        let store = try SQLiteStore(path: directory.database)
        let history = try store.history(stream: "k", limit: 1_000).map { UInt64($0.nonce) }
        #expect(history == issued.reversed())
        #expect(try store.stream(named: "k")?.issuedTotal == 200)
        #expect(first.stats().issuedThisProcess == 100)
        #expect(first.stats().isHeld)
        try first.close()
        try second.close()
        #expect(try store.verify().isValid)
    }

    @Test("opening a stream in the other mode fails with a clear error, both ways")
    func modeMismatch() throws {
        let directory = try TemporaryDirectory()
        let shared = try NonceManager(path: directory.database, configuration: .init(stream: "s", mode: .shared))
        let exclusive = try NonceManager(path: directory.database, configuration: .init(stream: "e"))
        defer { try? shared.close(); try? exclusive.close() }
        let refusedExclusive = #expect(throws: NonceStoreError.self) {
            try NonceManager(path: directory.database, configuration: .init(stream: "s", mode: .exclusive))
        }
        #expect(refusedExclusive?.description.contains("stream 's' is shared, not exclusive") == true)
        let refusedShared = #expect(throws: NonceStoreError.self) {
            try NonceManager(path: directory.database, configuration: .init(stream: "e", mode: .shared))
        }
        #expect(refusedShared?.code == .modeMismatch && refusedShared?.stream == "e")
        #expect(refusedShared?.description.contains("switch its mode to shared") == true)
        // Without a mode, a manager takes the stream as it is.
        let asItIs = try NonceManager(path: directory.database, configuration: .init(stream: "s"))
        #expect(asItIs.mode == .shared)
        try asItIs.close()
    }

    @Test("the mode can switch only while no process holds the stream")
    func switchOnlyWhenFree() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.database)
        let shared = try NonceManager(store: store, configuration: .init(stream: "k", mode: .shared))
        let whileShared = #expect(throws: NonceStoreError.self) { try store.setMode(.exclusive, stream: "k") }
        #expect(whileShared?.description.contains("held") == true)
        try shared.close()
        #expect(try store.setMode(.exclusive, stream: "k"))
        let exclusive = try NonceManager(store: store, configuration: .init(stream: "k"))
        #expect(throws: NonceStoreError.self) { try store.setMode(.shared, stream: "k") }
        try exclusive.close()
        #expect(try store.setMode(.shared, stream: "k"))
        #expect(try store.setMode(.shared, stream: "k") == false)
        #expect(try store.events(stream: "k", limit: 10).filter { $0.kind == "mode" }.count == 2)
    }

    @Test("a stream switched to shared after a crashed exclusive holder starts above its lease")
    func sharedStartsAboveLease() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.database)
        let record = try store.openStream(named: "k", mode: .exclusive)
        let leased = Int64(Date().timeIntervalSince1970 * 1e9) + 3_600_000_000_000
        var change = StreamChange(streamID: record.id)
        change.highWaterMark = leased
        try store.apply(change, durable: true)
        try store.setMode(.shared, stream: "k")
        let manager = try NonceManager(store: store, configuration: .init(stream: "k"))
        defer { try? manager.close() }
        #expect(try manager.next() > UInt64(leased))
    }

    @Test("a jump on a shared stream is durable, recorded, and the next nonce is above it")
    func jump() throws {
        let directory = try TemporaryDirectory()
        let manager = try NonceManager(path: directory.database, configuration: .init(stream: "k", mode: .shared))
        defer { try? manager.close() }
        let before = try manager.next()
        let floor = try manager.jump(by: .seconds(60), reason: "test")
        #expect(floor >= before + 60_000_000_000)
        #expect(try manager.next() > floor)
        let store = try SQLiteStore(path: directory.database)
        #expect(try store.events(stream: "k", limit: 5).first?.kind == "jump")
        #expect(try store.stream(named: "k")?.jumps == 1)
    }

    @Test("the API lock of a shared stream is reentrant and serializes threads")
    func apiLockThreads() throws {
        let directory = try TemporaryDirectory()
        let manager = try NonceManager(path: directory.database, configuration: .init(stream: "k", mode: .shared))
        defer { try? manager.close() }
        let probe = OverlapProbe()
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            for _ in 0..<10 {
                _ = try? manager.withAPILock { _ in
                    probe.enter()
                    defer { probe.leave() }
                    return try manager.withAPILock { nonce in nonce }
                }
            }
        }
        #expect(probe.overlaps == 0)
        #expect(manager.stats().issuedThisProcess == 80)
    }
}
