import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NonceBackend

/// A turn at the database's write lock, queued by the kernel.
///
/// SQLite cannot block on its write lock: a waiting connection sleeps and retries, and
/// under steady contention (many processes on one shared stream) a waiter that samples the
/// lock at the wrong moments can lose every round while the others make progress; polling
/// faster burns the CPU the holder needs to finish. So this package's writers first take
/// an exclusive lock on one byte of the database file (``LockBytes/writeTurn``), and only then begin
/// their transaction. A blocked lock request sleeps in the kernel and is woken when the
/// lock is released, so waiters cost nothing and are served as the lock frees, and the
/// kernel drops the lock of a process that dies.
///
/// The kernel has no timed wait for a file lock, so a contended wait runs on a pool
/// thread with a descriptor of its own, and the caller waits for it until its deadline. A
/// caller that gives up abandons that descriptor: the pool thread unlocks it as soon as its
/// request returns. Threads stay bounded: within a process only one caller at a time
/// queues in the kernel for a database (a local turn, taken first), and an abandoned
/// request keeps that local turn until it returns, so callers that time out behind a
/// stopped holder cannot pile up blocked threads. A failed request is reported, not waited
/// out as if it were busy.
package struct WriteTurn: Sendable {
    /// The database file.
    package let path: String
    static let offset = LockBytes.writeTurn

    /// A held turn: the descriptor whose lock it is.
    package struct Held {
        #if os(Linux)
        fileprivate let lent: LockDescriptor
        fileprivate let local: DispatchSemaphore
        package func release() {
            WriteTurn.unlock(lent)
            local.signal()
        }
        #else
        package func release() {}
        #endif
    }

    /// Takes the turn, waiting until `deadline`; nil when the deadline passed first.
    package func acquire(until deadline: ContinuousClock.Instant) throws(LockFileError) -> Held? {
        #if os(Linux)
        let lent = try LockDescriptor(database: path)
        let local = Self.localTurn(lent.key)
        guard local.wait(timeout: Self.dispatchTime(deadline)) == .success else { return nil }
        var request = Self.request()
        if fcntl(lent.fd, FileRangeLock.setOFDLock, &request) == 0 { return Held(lent: lent, local: local) }
        let code = errno
        guard code == EAGAIN || code == EACCES else {
            local.signal()
            throw LockFileError(path: path, errno: code)
        }
        switch Self.wait(lent, local: local, until: deadline) {
        case .granted: return Held(lent: lent, local: local)
        case .timedOut: return nil
        case .failed(let code): throw LockFileError(path: path, errno: code)
        }
        #else
        // Darwin has no open-file-description locks; SQLite's own busy wait applies alone.
        return Held()
        #endif
    }

    #if os(Linux)
    private enum WaitState { case waiting, granted, failed(Int32), abandoned }
    private enum Outcome { case granted, timedOut, failed(Int32) }

    /// Requests blocked in the kernel now for this database, in this process: what the
    /// bound keeps small.
    package var kernelWaits: Int {
        guard let lent = try? LockDescriptor(database: path) else { return 0 }
        return Self.kernelWaitCounts.withLock { $0[lent.key] ?? 0 }
    }
    private static let kernelWaitCounts = Mutex<[LockDescriptor.FileKey: Int]>([:])

    /// One local turn per database file in this process.
    private static let localTurns = Mutex<[LockDescriptor.FileKey: DispatchSemaphore]>([:])

    private static func localTurn(_ key: LockDescriptor.FileKey) -> DispatchSemaphore {
        localTurns.withLock { turns in
            if let turn = turns[key] { return turn }
            let turn = DispatchSemaphore(value: 1)
            turns[key] = turn
            return turn
        }
    }

    private static func dispatchTime(_ deadline: ContinuousClock.Instant) -> DispatchTime {
        .now() + .nanoseconds(Int(clamping: max(0, (deadline - ContinuousClock.now).wholeNanoseconds)))
    }

    /// Waits in the kernel on a pool thread, holding the local turn (`local`) until the
    /// turn is released, or until an abandoned request returns.
    private static func wait(_ lent: LockDescriptor, local: DispatchSemaphore, until deadline: ContinuousClock.Instant) -> Outcome {
        let state = Mutex(WaitState.waiting)
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            var request = Self.request()
            var result: Int32
            kernelWaitCounts.withLock { counts -> Void in counts[lent.key, default: 0] += 1 }
            repeat { result = fcntl(lent.fd, FileRangeLock.setOFDLockWait, &request) } while result != 0 && errno == EINTR
            let code = result == 0 ? 0 : errno
            kernelWaitCounts.withLock { counts -> Void in counts[lent.key, default: 0] -= 1 }
            let delivered = state.withLock { state -> Bool in
                guard case .waiting = state else { return false }
                state = code == 0 ? .granted : .failed(code)
                return true
            }
            if delivered {
                done.signal()
                return
            }
            // Abandoned: give back what was granted, then the local turn.
            if code == 0 { unlock(lent) }
            local.signal()
        }
        _ = done.wait(timeout: dispatchTime(deadline))
        return state.withLock { state -> Outcome in
            switch state {
            case .granted: return .granted
            case .failed(let code):
                local.signal()
                return .failed(code)
            case .waiting, .abandoned:
                state = .abandoned
                return .timedOut
            }
        }
    }

    fileprivate static func unlock(_ lent: LockDescriptor) {
        var release = FileRangeLock.range(type: Int16(F_UNLCK), offset: offset)
        _ = fcntl(lent.fd, FileRangeLock.setOFDLock, &release)
    }

    private static func request() -> flock {
        FileRangeLock.range(type: Int16(F_WRLCK), offset: offset)
    }

    #endif
}
