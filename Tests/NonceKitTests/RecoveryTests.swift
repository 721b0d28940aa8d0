import Foundation
import NonceKit
import NonceKitTesting
import NonceBackend
import NonceSQLite
import NonceTestSupport
import Testing

@Suite("Recovery after rejected nonces")
struct RecoveryTests {
    @Test("the standard schedule: nothing twice, then 10 s, 20 s, 30 s, then 60 s each, durable and recorded")
    func schedule() throws {
        let directory = try TemporaryDirectory()
        let clock = ManualClock()
        let manager = try NonceManager(path: directory.database, configuration: .init(timing: .init(clock: clock)))
        defer { try? manager.close() }
        let expected: [Duration] = [.zero, .zero, .seconds(10), .seconds(20), .seconds(30), .seconds(60), .seconds(60)]
        for (index, step) in expected.enumerated() {
            let before = try manager.next()
            let action = try manager.recordRejection()
            #expect(action.rejectionsInARow == Int64(index + 1))
            #expect(action.jump == step)
            if step > .zero {
                let floor = try #require(action.floor)
                #expect(floor >= before + UInt64(step.wholeNanoseconds))
                #expect(try manager.next() > floor)
            } else {
                #expect(action.floor == nil)
            }
        }
        let store = try SQLiteStore(path: directory.database)
        let events = try store.events(stream: "default", limit: 100)
        #expect(events.filter { $0.kind == "rejection" }.count == 7)
        #expect(events.filter { $0.kind == "jump" && $0.detail.contains("recovery after") }.count == 5)
        // 10 + 20 + 30 + 60 + 60 = 180 s ahead of the (frozen) clock: not yet flagged;
        // three more minutes of jumps are.
        #expect(!manager.stats().isLeadLarge)
        for _ in 0..<3 { try manager.recordRejection() }
        #expect(manager.stats().isLeadLarge)
        #expect(manager.stats().consecutiveRejections == 10)
    }

    @Test("the count survives a restart; a success resets it")
    func persistenceAndReset() throws {
        let directory = try TemporaryDirectory()
        do {
            let manager = try NonceManager(path: directory.database)
            for _ in 0..<3 { try manager.recordRejection() }
            try manager.close()
        }
        let reopened = try NonceManager(path: directory.database)
        #expect(reopened.stats().consecutiveRejections == 3)
        #expect(try reopened.recordRejection().jump == .seconds(20))
        try reopened.recordSuccess()
        #expect(try reopened.recordRejection().rejectionsInARow == 1)
        #expect(reopened.stats().rejectionsTotal == 5)
        try reopened.close()
        let events = try SQLiteStore(path: directory.database).events(stream: "default", limit: 100)
        #expect(events.contains { $0.kind == "recovered" && $0.detail.contains("after 4 rejection(s)") })
    }

    @Test("on a shared stream the count is shared by every process")
    func sharedCount() throws {
        let directory = try TemporaryDirectory()
        let first = try NonceManager(path: directory.database, configuration: .init(stream: "k", mode: .shared))
        let second = try NonceManager(path: directory.database, configuration: .init(stream: "k", mode: .shared))
        defer { try? first.close(); try? second.close() }
        try first.recordRejection()
        try second.recordRejection()
        #expect(try first.recordRejection().jump == .seconds(10))
        try second.recordSuccess()
        #expect(try first.recordRejection().rejectionsInARow == 1)
    }

    @Test("a custom schedule")
    func customSchedule() throws {
        let directory = try TemporaryDirectory()
        let schedule = RecoverySchedule(steps: [.seconds(1)], thereafter: .seconds(5))
        let manager = try NonceManager(path: directory.database, configuration: .init(protection: .init(recovery: schedule)))
        defer { try? manager.close() }
        #expect(try manager.recordRejection().jump == .seconds(1))
        #expect(try manager.recordRejection().jump == .seconds(5))
    }
}
