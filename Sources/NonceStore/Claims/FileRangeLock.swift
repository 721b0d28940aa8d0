#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A lock on one byte of a lock file: one byte per stream (and one per stream's API lock).
/// Exclusive, or shared with other shared holders.
///
/// On Linux these are open-file-description locks (`F_OFD_SETLK`): they belong to this
/// object's file descriptor, not to the process, so two claims in one process conflict as
/// they would across processes, closing another descriptor does not drop them, and the
/// kernel drops them when the process dies, kill -9 included. No lock outlives its holder.
/// Darwin has no OFD locks; there each byte becomes a file of its own under `flock`,
/// which has the same per-descriptor semantics.
package final class FileRangeLock: Sendable {
    package let path: String
    package let offset: Int64
    private let descriptor: Int32

    package init(path: String, offset: Int64) throws(LockFileError) {
        #if os(Linux)
        let file = path
        #else
        let file = "\(path).\(offset)"
        #endif
        let fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw LockFileError(path: file, errno: errno) }
        self.path = file
        self.offset = offset
        self.descriptor = fd
    }

    deinit { close(descriptor) }

    /// The descriptor whose lock this is: a child process that inherits it holds the lock
    /// too, until the last descriptor of it is closed.
    package var fileDescriptor: Int32 { descriptor }

    /// Takes the lock if no conflicting holder has it; returns false when one does.
    ///
    /// - Parameter shared: take it shared (several shared holders coexist; an exclusive one
    ///   conflicts with all) rather than exclusive.
    package func tryLock(shared: Bool = false) throws(LockFileError) -> Bool {
        #if os(Linux)
        var lock = Self.range(type: Int16(shared ? F_RDLCK : F_WRLCK), offset: offset)
        if fcntl(descriptor, Self.setOFDLock, &lock) == 0 { return true }
        #else
        if flock(descriptor, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) == 0 { return true }
        #endif
        let code = errno
        if code == EAGAIN || code == EACCES || code == EWOULDBLOCK { return false }
        throw LockFileError(path: path, errno: code)
    }

    /// Takes the lock, polling until it is free or `timeout` passes. Returns false on
    /// timeout; a nil timeout waits for ever.
    package func lock(timeout: Duration?, shared: Bool = false) throws(LockFileError) -> Bool {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        var pause: UInt32 = 200
        while true {
            if try tryLock(shared: shared) { return true }
            if let deadline, ContinuousClock.now >= deadline { return false }
            usleep(pause)
            pause = min(pause * 2, 2_000)
        }
    }

    package func unlock() {
        #if os(Linux)
        var lock = Self.range(type: Int16(F_UNLCK), offset: offset)
        _ = fcntl(descriptor, Self.setOFDLock, &lock)
        #else
        _ = flock(descriptor, LOCK_UN)
        #endif
    }

    #if os(Linux)
    static func range(type: Int16, offset: Int64) -> flock {
        var lock = flock()
        lock.l_type = type
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = off_t(offset)
        lock.l_len = 1
        lock.l_pid = 0
        return lock
    }

    /// `F_OFD_SETLK` and `F_OFD_SETLKW` from <fcntl.h>; Glibc's module hides them behind
    /// `_GNU_SOURCE`. The values are the same on every Linux architecture (asm-generic/fcntl.h).
    static let setOFDLock: Int32 = 37
    static let setOFDLockWait: Int32 = 38
    #endif
}

/// A lock file could not be opened or locked.
package struct LockFileError: Error, CustomStringConvertible {
    package let path: String
    package let errno: Int32
    package var description: String { "lock file '\(path)': \(String(cString: strerror(errno)))" }
}
