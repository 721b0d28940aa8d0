import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fair (first come, first served) lock that a thread or a task can wait on, with an
/// optional timeout. Async waiters suspend instead of blocking a thread.
///
/// Reentrancy is handled by ``NonceManager``: a body already inside the lock (same thread,
/// same task, or a child task of it) runs again without waiting.
final class APILock: Sendable {
    private enum Waiter: Sendable {
        case thread(DispatchSemaphore)
        case task(CheckedContinuation<Void, any Error>)
    }

    private struct State {
        var held = false
        var waiters: [(id: UInt64, waiter: Waiter)] = []
        var nextID: UInt64 = 0
        /// Timeout timers of async waiters, cancelled as soon as their waiter leaves the queue.
        var timers: [UInt64: Task<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    /// Blocks until the lock is ours; false when `timeout` passed first.
    func acquire(timeout: Duration?) -> Bool {
        let semaphore = DispatchSemaphore(value: 0)
        let ticket = state.withLock { state -> UInt64? in
            if !state.held {
                state.held = true
                return nil
            }
            defer { state.nextID += 1 }
            state.waiters.append((state.nextID, .thread(semaphore)))
            return state.nextID
        }
        guard let ticket else { return true }
        guard let timeout else {
            semaphore.wait()
            return true
        }
        if semaphore.wait(timeout: .now() + .nanoseconds(Int(clamping: timeout.wholeNanoseconds))) == .success { return true }
        if withdraw(ticket) != nil { return false }
        // The lock was handed to us as the wait ran out: take the hand-off.
        semaphore.wait()
        return true
    }

    /// Suspends until the lock is ours. Throws ``APILockTimeout`` after `timeout`, and
    /// `CancellationError` when the task is cancelled while waiting.
    func acquire(timeout: Duration?) async throws {
        let ticket = state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let acquired = state.withLock { state -> Bool in
                    if !state.held {
                        state.held = true
                        return true
                    }
                    state.waiters.append((ticket, .task(continuation)))
                    return false
                }
                if acquired { return continuation.resume() }
                if Task.isCancelled { return withdraw(ticket)?.fail(CancellationError()) ?? () }
                if let timeout {
                    let timer = Task { [weak self] in
                        try? await Task.sleep(for: timeout)
                        guard !Task.isCancelled else { return }
                        self?.withdraw(ticket)?.fail(APILockTimeout())
                    }
                    let stillWaiting = state.withLock { state in
                        guard state.waiters.contains(where: { $0.id == ticket }) else { return false }
                        state.timers[ticket] = timer
                        return true
                    }
                    if !stillWaiting { timer.cancel() }
                }
            }
        } onCancel: {
            withdraw(ticket)?.fail(CancellationError())
        }
    }

    /// Hands the lock to the longest waiter, or frees it.
    func release() {
        let next = state.withLock { state -> Waiter? in
            guard !state.waiters.isEmpty else {
                state.held = false
                return nil
            }
            let next = state.waiters.removeFirst()
            state.timers.removeValue(forKey: next.id)?.cancel()
            return next.waiter
        }
        switch next {
        case .thread(let semaphore): semaphore.signal()
        case .task(let continuation): continuation.resume()
        case nil: break
        }
    }

    /// Removes a waiter that gave up; nil when it was already handed the lock.
    private func withdraw(_ ticket: UInt64) -> WithdrawnWaiter? {
        state.withLock { state in
            guard let index = state.waiters.firstIndex(where: { $0.id == ticket }) else { return nil }
            state.timers.removeValue(forKey: ticket)?.cancel()
            return WithdrawnWaiter(waiter: state.waiters.remove(at: index).waiter)
        }
    }

    private struct WithdrawnWaiter {
        let waiter: Waiter
        func fail(_ error: any Error) {
            if case .task(let continuation) = waiter { continuation.resume(throwing: error) }
        }
    }
}

/// Thrown inside ``APILock`` when a wait runs out; the manager turns it into
/// `NonceStoreError` `.apiLockTimedOut`.
struct APILockTimeout: Error {}

/// Which API locks the current thread or task is inside, for reentrancy.
///
/// Stored in a task-local. Structured child tasks (`async let`, task groups) read their
/// parent's task-locals, and unstructured `Task { }`s copy them, so both see the holder's
/// entry; `owner` tells the holder itself (reentrant) from everyone else. Of the others,
/// only a structured child task is refused: its parent cannot leave the body (and release
/// the lock) until the child ends, so waiting would deadlock. An unstructured task waits
/// its turn like any other caller.
final class HeldAPILock: Sendable {
    /// A task or, outside any task, a thread.
    enum Owner: Hashable, Sendable {
        case task(Int)
        case thread(UInt)

        static var current: Owner {
            if let task = withUnsafeCurrentTask(body: { $0?.hashValue }) { return .task(task) }
            #if canImport(Glibc)
            return .thread(UInt(pthread_self()))
            #else
            return .thread(UInt(bitPattern: pthread_self()))
            #endif
        }
    }

    enum Status {
        case notHeld
        case heldByCurrent
        case heldByParentTask
    }

    let lock: ObjectIdentifier
    let owner = Owner.current
    let parent: HeldAPILock?
    /// Cleared when the holding body returns, so an unstructured task that inherited this
    /// value and outlived the body does not think it still holds the lock.
    let active = Atomic<Bool>(true)

    init(lock: APILock, parent: HeldAPILock?) {
        self.lock = ObjectIdentifier(lock)
        self.parent = parent
    }

    @TaskLocal static var current: HeldAPILock?

    static func status(of lock: APILock) -> Status {
        var entry = current
        while let held = entry {
            if held.lock == ObjectIdentifier(lock) && held.active.load(ordering: .acquiring) {
                if held.owner == Owner.current { return .heldByCurrent }
                return StructuredTask.currentIsChild ? .heldByParentTask : .notHeld
            }
            entry = held.parent
        }
        return .notHeld
    }
}

/// Whether the current task is a structured child task.
///
/// The standard library has no public way to ask, and the answer decides between waiting
/// and a deadlock; the runtime keeps it in the task's job flags (`Task_IsChildTask`, bit 24
/// of `JobFlags` in the Swift ABI's MetadataValues.h), read through the runtime's exported
/// `swift_task_getJobFlags`. A test pins the reading for `async let`, task groups,
/// `Task { }` and `Task.detached`.
enum StructuredTask {
    @_silgen_name("swift_task_getJobFlags")
    private static func jobFlags(_ task: UnsafeRawPointer) -> UInt32

    private static let isChildTaskBit: UInt32 = 1 << 24

    static var currentIsChild: Bool {
        withUnsafeCurrentTask { task in
            guard let task else { return false }
            return jobFlags(unsafeBitCast(task, to: UnsafeRawPointer.self)) & isChildTaskBit != 0
        }
    }
}
