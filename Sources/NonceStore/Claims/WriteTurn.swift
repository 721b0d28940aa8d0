import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A turn at the database's write lock, queued by the kernel.
///
/// SQLite cannot block on its write lock: a waiting connection sleeps and retries, and
/// under steady contention (many processes on one shared stream) a waiter that samples the
/// lock at the wrong moments can lose every round while the others make progress; polling
/// faster burns the CPU the holder needs to finish. So this package's writers first take
/// an exclusive lock on one byte of the lock file beside the database, and only then begin
/// their transaction. A blocked lock request sleeps in the kernel and is woken when the
/// lock is released, so waiters cost nothing and are served as the lock frees, and the
/// kernel drops the lock of a process that dies.
///
/// The kernel has no timed wait for a file lock, so a contended wait runs on a pool
/// thread with a descriptor of its own, and the caller waits for it until its deadline. A
/// caller that gives up abandons that descriptor: the pool thread closes it (which drops
/// the lock) as soon as its request returns.
package struct WriteTurn: Sendable {
    /// The lock file (`<database>-locks`).
    package let path: String
    /// Past every stream's claim byte (stream ids) and API-lock byte (2^32 + stream id).
    package static let offset: Int64 = 1 << 33

    /// A held turn: the descriptor whose lock it is. Closing it releases the turn.
    package struct Held {
        fileprivate let descriptor: Int32
        package func release() { if descriptor >= 0 { close(descriptor) } }
    }

    /// Takes the turn, waiting until `deadline`; nil when the deadline passed first.
    package func acquire(until deadline: ContinuousClock.Instant) throws(LockFileError) -> Held? {
        #if os(Linux)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw LockFileError(path: path, errno: errno) }
        var request = Self.request()
        if fcntl(fd, FileRangeLock.setOFDLock, &request) == 0 { return Held(descriptor: fd) }
        let code = errno
        guard code == EAGAIN || code == EACCES else {
            close(fd)
            throw LockFileError(path: path, errno: code)
        }
        return Self.wait(descriptor: fd, until: deadline) ? Held(descriptor: fd) : nil
        #else
        // Darwin has no open-file-description locks; SQLite's own busy wait applies alone.
        return Held(descriptor: -1)
        #endif
    }

    #if os(Linux)
    private enum WaitState { case waiting, granted, abandoned }

    private static func wait(descriptor fd: Int32, until deadline: ContinuousClock.Instant) -> Bool {
        let state = Mutex(WaitState.waiting)
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            var request = Self.request()
            var result: Int32
            repeat { result = fcntl(fd, FileRangeLock.setOFDLockWait, &request) } while result != 0 && errno == EINTR
            let keep = state.withLock { state -> Bool in
                guard state == .waiting, result == 0 else { return false }
                state = .granted
                return true
            }
            if keep { done.signal() } else { close(fd) }
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

    private static func request() -> flock {
        FileRangeLock.range(type: Int16(F_WRLCK), offset: offset)
    }

    #endif
}
