import Foundation
import NonceKit
import NonceTestSupport
import Synchronization
import Testing

@Suite("The API lock")
struct APILockTests {
    @Test("bodies never overlap, and nonces leave in the order bodies ran")
    func serializes() throws {
        let directory = try TemporaryDirectory()
        let manager = try NonceManager(path: directory.database)
        defer { manager.close() }
        let probe = OverlapProbe()
        let sent = Mutex<[UInt64]>([])
        DispatchQueue.concurrentPerform(iterations: 400) { _ in
            try? manager.withAPILock { nonce in
                probe.enter()
                sent.withLock { $0.append(nonce) }
                probe.leave()
            }
        }
        #expect(probe.overlaps == 0)
        let order = sent.withLock { $0 }
        #expect(order.count == 400)
        #expect(zip(order, order.dropFirst()).allSatisfy { $0 < $1 })
    }

    @Test("nested use on one thread does not deadlock and gets a newer nonce")
    func reentrant() throws {
        let directory = try TemporaryDirectory()
        let manager = try NonceManager(path: directory.database)
        defer { manager.close() }
        let (outer, inner) = try manager.withAPILock { outer in
            (outer, try manager.withAPILock { inner in inner })
        }
        #expect(inner > outer)
    }

    @Test("a waiter gives up after its timeout with a clear error")
    func timeout() throws {
        let directory = try TemporaryDirectory()
        let manager = try NonceManager(path: directory.database)
        defer { manager.close() }
        let holding = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        Thread {
            try? manager.withAPILock { _ in
                holding.signal()
                done.wait()
            }
        }.start()
        holding.wait()
        let error = #expect(throws: NonceError.self) {
            try manager.withAPILock(timeout: .milliseconds(50)) { _ in }
        }
        #expect(error?.description.contains("API lock") == true)
        done.signal()
        // Once free, it works again.
        _ = try manager.withAPILock(timeout: .seconds(5)) { $0 }
    }

    @Test("the async form serializes tasks, is reentrant, and times out")
    func asyncForm() async throws {
        let directory = try TemporaryDirectory()
        let manager = try NonceManager(path: directory.database)
        defer { manager.close() }
        let probe = OverlapProbe()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<100 {
                group.addTask {
                    try await manager.withAPILock { _ in
                        probe.enter()
                        try await Task.sleep(for: .microseconds(50))
                        probe.leave()
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(probe.overlaps == 0)
        let nested = try await manager.withAPILock { outer in
            try await manager.withAPILock { inner in
                await Task.yield()
                return inner > outer
            }
        }
        #expect(nested)
        let (held, release) = AsyncStream<Void>.makeStream()
        let holder = Task {
            try await manager.withAPILock { _ in
                for await _ in held { break }
            }
        }
        try await Task.sleep(for: .milliseconds(20))
        await #expect(throws: NonceError.self) {
            try await manager.withAPILock(timeout: .milliseconds(30)) { _ in await Task.yield() }
        }
        release.yield()
        try await holder.value
    }

    @Test("a child task of the holder is refused with a clear error instead of running beside it")
    func childTaskRefused() async throws {
        let directory = try TemporaryDirectory()
        let manager = try NonceManager(path: directory.database)
        defer { manager.close() }
        let childError = try await manager.withAPILock { _ in
            async let child: Void = manager.withAPILock { _ in await Task.yield() }
            do {
                try await child
                return nil as NonceError?
            } catch let error as NonceError {
                return error
            }
        }
        guard case .apiLockHeldByParentTask = childError else {
            Issue.record("expected apiLockHeldByParentTask, got \(String(describing: childError))")
            return
        }
        // A task started inside the body that runs after it ends takes the lock normally.
        let later = try await manager.withAPILock { _ in
            await Task.yield()
            return Task { try await manager.withAPILock(timeout: .seconds(5)) { nonce in
                await Task.yield()
                return nonce
            } }
        }
        #expect(try await later.value > 0)
    }
}
