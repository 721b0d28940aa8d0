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
/// request returns.
package struct WriteTurn: Sendable {
    /// The database file.
    package let path: String
    static let offset = LockBytes.writeTurn

    /// A held turn: the descriptor whose lock it is.
    package struct Held {
        #if os(Linux)
        fileprivate let lent: LockDescriptor
        package func release() { WriteTurn.unlock(lent) }
        #else
        package func release() {}
        #endif
    }

    /// Takes the turn, waiting until `deadline`; nil when the deadline passed first.
    package func acquire(until deadline: ContinuousClock.Instant) throws(LockFileError) -> Held? {
        #if os(Linux)
        let lent = try LockDescriptor(database: path)
        var request = Self.request()
        if fcntl(lent.fd, FileRangeLock.setOFDLock, &request) == 0 { return Held(lent: lent) }
        let code = errno
        guard code == EAGAIN || code == EACCES else { throw LockFileError(path: path, errno: code) }
        return Self.wait(lent, until: deadline) ? Held(lent: lent) : nil
        #else
        // Darwin has no open-file-description locks; SQLite's own busy wait applies alone.
        return Held()
        #endif
    }

    #if os(Linux)
    private enum WaitState { case waiting, granted, abandoned }

    private static func wait(_ lent: LockDescriptor, until deadline: ContinuousClock.Instant) -> Bool {
        let state = Mutex(WaitState.waiting)
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            var request = Self.request()
            var result: Int32
            repeat { result = fcntl(lent.fd, FileRangeLock.setOFDLockWait, &request) } while result != 0 && errno == EINTR
            let keep = state.withLock { state -> Bool in
                guard state == .waiting, result == 0 else { return false }
                state = .granted
                return true
            }
            if keep { done.signal() } else if result == 0 { unlock(lent) }
        }
        let left = deadline - ContinuousClock.now
        let nanoseconds = Int(clamping: max(0, left.wholeNanoseconds))
        if done.wait(timeout: .now() + .nanoseconds(nanoseconds)) == .success { return true }
        return state.withLock { state -> Bool in
            if state == .granted { return true }
            state = .abandoned
            return false
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
