import Foundation
@testable import NonceKit
import NonceBackend
import NonceTestSupport
import Synchronization
import Testing

@Suite("The API lock")
struct APILockTests {
    @Test("bodies never overlap, and nonces leave in the order bodies ran")
    func serializes() throws {
        let directory = try TemporaryDirectory()
        let manager = try NonceManager(path: directory.database)
        defer { try? manager.close() }
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
        defer { try? manager.close() }
        let (outer, inner) = try manager.withAPILock { outer in
            (outer, try manager.withAPILock { inner in inner })
        }
        #expect(inner > outer)
    }

    @Test("a waiter gives up after its timeout with a clear error")
    func timeout() throws {
        let directory = try TemporaryDirectory()
        let manager = try NonceManager(path: directory.database)
        defer { try? manager.close() }
        let holding = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        Thread {
            try? manager.withAPILock { _ in
                holding.signal()
                done.wait()
            }
        }.start()
        holding.wait()
        let error = #expect(throws: NonceStoreError.self) {
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
        defer { try? manager.close() }
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
        let (entered, enter) = AsyncStream<Void>.makeStream()
        let holder = Task {
            try await manager.withAPILock { _ in
                enter.yield()
                for await _ in held { break }
            }
        }
        for await _ in entered { break }
        await #expect(throws: NonceStoreError.self) {
            try await manager.withAPILock(timeout: .milliseconds(30)) { _ in await Task.yield() }
        }
        release.yield()
        try await holder.value
    }

    @Test("a structured child task of the holder (async let, task group) is refused: it would deadlock")
    func structuredChildRefused() async throws {
        let directory = try TemporaryDirectory()
        let manager = try NonceManager(path: directory.database)
        defer { try? manager.close() }
        let (asyncLetError, groupError) = try await manager.withAPILock { _ in
            async let child: NonceStoreError? = Self.nonceError { try await manager.withAPILock { _ in await Task.yield() } }
            let asyncLetError = await child
            let groupError = await Self.nonceError {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await manager.withAPILock { _ in await Task.yield() } }
                    try await group.waitForAll()
                }
            }
            return (asyncLetError, groupError)
        }
        for error in [asyncLetError, groupError] {
            guard error?.code == .apiLockHeldByParentTask else {
                Issue.record("expected apiLockHeldByParentTask, got \(String(describing: error))")
                continue
            }
        }
    }

    @Test("an unstructured Task or a detached task started inside the body waits its turn and runs after it")
    func unstructuredTasksWait() async throws {
        let directory = try TemporaryDirectory()
        let manager = try NonceManager(path: directory.database)
        defer { try? manager.close() }
        let order = EventLog()
        let (calling, call) = AsyncStream<Void>.makeStream()
        let (inherited, detached) = try await manager.withAPILock { _ in
            let inherited = Task {
                call.yield()
                return try await manager.withAPILock { nonce in
                    await Task.yield()
                    order.append("task")
                    return nonce
                }
            }
            let detached = Task.detached {
                call.yield()
                return try await manager.withAPILock { nonce in
                    await Task.yield()
                    order.append("detached")
                    return nonce
                }
            }
            // Both are about to ask for the lock; give them every chance to barge in.
            var waiting = 0
            for await _ in calling {
                waiting += 1
                if waiting == 2 { break }
            }
            for _ in 0..<100 { await Task.yield() }
            order.append("holder")
            return (inherited, detached)
        }
        let first = try await inherited.value, second = try await detached.value
        #expect(first > 0 && second > 0 && first != second)
        #expect(order.entries.first == "holder")
        #expect(Set(order.entries) == ["holder", "task", "detached"])
    }

    @Test("the runtime's job flags tell structured children from other tasks")
    func childTaskDetection() async {
        // (The test itself runs as a child task of the test runner's group.)
        async let child = StructuredTask.currentIsChild
        #expect(await child)
        let inGroup = await withTaskGroup(of: Bool.self) { group in
            group.addTask { StructuredTask.currentIsChild }
            return await group.next() ?? false
        }
        #expect(inGroup)
        let unstructured = await Task { StructuredTask.currentIsChild }.value
        let detached = await Task.detached { StructuredTask.currentIsChild }.value
        #expect(!unstructured && !detached)
    }

    private static func nonceError(_ body: () async throws -> Void) async -> NonceStoreError? {
        do {
            try await body()
            return nil
        } catch let error as NonceStoreError {
            return error
        } catch {
            return nil
        }
    }
}

/// What happened, in the order it happened, from any thread or task.
final class EventLog: Sendable {
    private let log = Mutex<[String]>([])
    func append(_ entry: String) { log.withLock { $0.append(entry) } }
    var entries: [String] { log.withLock { $0 } }
}
