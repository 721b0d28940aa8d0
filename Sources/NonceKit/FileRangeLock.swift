#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Exclusive locks on single bytes of a lock file, one byte per stream.
///
/// On Linux these are open-file-description locks (`F_OFD_SETLK`): they belong to this
/// object's file descriptor, not to the process, so two claims in one process conflict as
/// they would across processes, and the kernel drops them when the process dies, kill -9
/// included. No lock outlives its holder.
final class FileRangeLock: Sendable {
    let path: String
    private let descriptor: Int32

    init(path: String) throws(LockFileError) {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw LockFileError(path: path, errno: errno) }
        self.path = path
        self.descriptor = fd
    }

    deinit { close(descriptor) }

    /// Takes the byte at `offset` if no one holds it; returns false when someone does.
    func tryLock(offset: Int64) throws(LockFileError) -> Bool {
        var lock = Self.range(type: Int16(F_WRLCK), offset: offset)
        if fcntl(descriptor, Self.setLock, &lock) == 0 { return true }
        let code = errno
        if code == EAGAIN || code == EACCES { return false }
        throw LockFileError(path: path, errno: code)
    }

    /// Takes the byte at `offset`, polling until it is free or `timeout` passes.
    /// Returns false on timeout. A nil timeout waits for ever.
    func lock(offset: Int64, timeout: Duration?) throws(LockFileError) -> Bool {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        var pause: UInt32 = 200
        while true {
            if try tryLock(offset: offset) { return true }
            if let deadline, ContinuousClock.now >= deadline { return false }
            usleep(pause)
            pause = min(pause * 2, 10_000)
        }
    }

    func unlock(offset: Int64) {
        var lock = Self.range(type: Int16(F_UNLCK), offset: offset)
        _ = fcntl(descriptor, Self.setLock, &lock)
    }

    private static func range(type: Int16, offset: Int64) -> flock {
        var lock = flock()
        lock.l_type = type
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = off_t(offset)
        lock.l_len = 1
        lock.l_pid = 0
        return lock
    }

    #if os(Linux)
    /// `F_OFD_SETLK` from <fcntl.h>; Glibc's module hides it behind `_GNU_SOURCE`. The value
    /// is the same on every Linux architecture (asm-generic/fcntl.h).
    private static let setLock: Int32 = 37
    #else
    // Darwin has no OFD locks; process-owned locks still die with the process.
    private static let setLock = F_SETLK
    #endif
}

/// A lock file could not be opened or locked.
struct LockFileError: Error, CustomStringConvertible {
    let path: String
    let errno: Int32
    var description: String { "lock file '\(path)': \(String(cString: strerror(errno)))" }
}
