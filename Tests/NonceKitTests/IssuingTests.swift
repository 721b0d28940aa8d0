import Foundation
import NonceKit
import NonceKitTesting
import NonceBackend
import NonceSQLite
import NonceTestSupport
import Synchronization
import Testing

@Suite("Issuing nonces")
struct IssuingTests {
    @Test("nonces are nanosecond time: 19 digits, within a lease of the wall clock")
    func nanosecondPrecision() throws {
        let directory = try TemporaryDirectory()
        let manager = try NonceManager(path: directory.database)
        defer { try? manager.close() }
        let before = SystemClock().now()
        let nonce = try manager.next()
        #expect(String(nonce).count == 19)
        #expect(Int64(nonce) >= before)
        #expect(Int64(nonce) < before + 2_000_000_000)
    }

    @Test("1,000 concurrent threads get unique, per-thread increasing nonces, all in the history")
    func thousandThreads() throws {
        let directory = try TemporaryDirectory()
        let manager = try NonceManager(path: directory.database)
        let threads = 1_000, perThread = 50
        let results = Mutex([[UInt64]](repeating: [], count: threads))
        let group = DispatchGroup()
        for index in 0..<threads {
            group.enter()
            let thread = Thread {
                var mine: [UInt64] = []
                for _ in 0..<perThread { if let nonce = try? manager.next() { mine.append(nonce) } }
                results.withLock { $0[index] = mine }
                group.leave()
            }
            thread.stackSize = 64 * 1024
            thread.start()
        }
        group.wait()
        try manager.close()
        let all = results.withLock { $0 }
        for sequence in all {
            #expect(sequence.count == perThread)
            #expect(zip(sequence, sequence.dropFirst()).allSatisfy { $0 < $1 })
        }
        let flat = all.flatMap { $0 }
        #expect(Set(flat).count == threads * perThread)
        let store = try SQLiteStore(path: directory.database)
        let summary = try store.historySummary(stream: "default")
        #expect(summary.count == Int64(threads * perThread))
        #expect(summary.maximum == flat.max().map(Int64.init))
        #expect(try store.verify().isValid)
    }

    @Test("a restart continues above everything issued before, and keeps the lifetime total")
    func restartContinues() throws {
        let directory = try TemporaryDirectory()
        var largest: UInt64 = 0
        for round in 1...5 {
            let manager = try NonceManager(path: directory.database)
            for _ in 0..<1_000 {
                let nonce = try manager.next()
                #expect(nonce > largest)
                largest = nonce
            }
            #expect(manager.stats().issuedTotal == Int64(round * 1_000))
            try manager.close()
        }
    }

    @Test("a clock that steps back never yields a smaller nonce; the regression is counted and recorded")
    func clockStepsBack() throws {
        let directory = try TemporaryDirectory()
        let clock = ManualClock()
        let manager = try NonceManager(path: directory.database, configuration: .init(timing: .init(clock: clock)))
        var previous = try manager.next()
        for step in 0..<200 {
            clock.advance(by: step % 10 == 0 ? .seconds(-30) : .microseconds(3))
            let nonce = try manager.next()
            #expect(nonce > previous)
            previous = nonce
        }
        #expect(manager.stats().clockRegressions == 20)
        try manager.close()
        let store = try SQLiteStore(path: directory.database)
        #expect(try store.stream(named: "default")?.clockRegressions == 20)
        #expect(try store.events(stream: "default", limit: 10).contains { $0.kind == "clock_regression" })
    }

    @Test("a jump is durable at once, recorded as an event, and every later nonce is above it")
    func jumpForward() throws {
        let directory = try TemporaryDirectory()
        let manager = try NonceManager(path: directory.database)
        defer { try? manager.close() }
        let before = try manager.next()
        let floor = try manager.jump(by: .seconds(60), reason: "test")
        #expect(floor >= before + 60_000_000_000)
        // Durable before the next nonce: another connection already sees the mark.
        let store = try SQLiteStore(path: directory.database)
        #expect(try store.stream(named: "default")!.highWaterMark >= Int64(floor))
        #expect(try store.events(stream: "default", limit: 1).first?.kind == "jump")
        #expect(try manager.next() > floor)
        #expect(manager.stats().jumps == 1)
    }

    @Test("history modes: synchronous rows are in before next() returns; off records none")
    func historyModes() throws {
        let directory = try TemporaryDirectory()
        let synchronous = try NonceManager(path: directory.database, configuration: .init(stream: "sync", history: .init(mode: .synchronous)))
        let reader = try SQLiteStore(path: directory.database)
        for _ in 0..<20 {
            let nonce = try synchronous.next(label: "AddOrder")
            let newest = try reader.history(stream: "sync", limit: 1).first
            #expect(newest?.nonce == nonce)
            #expect(newest?.label == "AddOrder")
        }
        try synchronous.close()
        let off = try NonceManager(path: directory.database, configuration: .init(stream: "quiet", history: .init(mode: .off)))
        for _ in 0..<100 { _ = try off.next() }
        try off.close()
        #expect(try reader.historySummary(stream: "quiet").count == 0)
        #expect(try reader.stream(named: "quiet")?.issuedTotal == 100)
        #expect(try reader.verify().isValid)
    }

    @Test("a full history buffer holds callers back instead of dropping rows")
    func backPressure() throws {
        let directory = try TemporaryDirectory()
        let manager = try NonceManager(path: directory.database, configuration: .init(history: .init(batchSize: 8, flushInterval: .seconds(5), bufferLimit: 16)))
        for _ in 0..<5_000 { _ = try manager.next() }
        try manager.close()
        let store = try SQLiteStore(path: directory.database)
        #expect(try store.historySummary(stream: "default").count == 5_000)
    }

    @Test("nonces stop with a clear error before passing 2^63-1")
    func exhaustion() throws {
        let directory = try TemporaryDirectory()
        let clock = ManualClock(nanoseconds: Int64.max - 3)
        let manager = try NonceManager(path: directory.database, configuration: .init(timing: .init(clock: clock)))
        defer { try? manager.close() }
        var issued = 0
        var failure: NonceStoreError?
        while failure == nil && issued < 10 {
            do { _ = try manager.next(); issued += 1 } catch { failure = error }
        }
        #expect(issued == 4)
        #expect(failure?.description.contains("2^63-1") == true)
        #expect(throws: NonceStoreError.self) { try manager.jump(by: .seconds(1)) }
    }

    @Test("issuing after close throws")
    func closed() throws {
        let directory = try TemporaryDirectory()
        let manager = try NonceManager(path: directory.database)
        try manager.close()
        #expect(throws: NonceStoreError.self) { try manager.next() }
    }
}
