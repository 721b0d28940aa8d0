#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
package import NonceBackend

/// A lock on one byte of a database file: one byte per stream's claim and one per stream's
/// API lock, far above the bytes SQLite locks. Exclusive, or shared with other shared
/// holders.
///
/// On Linux these are open-file-description locks (`F_OFD_SETLK`) on a descriptor of the
/// database file itself (see ``LockDescriptor``): they belong to this object's descriptor,
/// not to the process, so two claims in one process conflict as they would across
/// processes, and the kernel drops them when the process dies, kill -9 included. No lock
/// outlives its holder, and none can be sidestepped by deleting a file or by a hard link.
/// Darwin has no OFD locks; there each byte becomes a file of its own beside the database
/// under `flock`, which has the same per-descriptor semantics.
package final class FileRangeLock: InterProcessLock {
    package let path: String
    package let offset: Int64
    #if os(Linux)
    private let lent: LockDescriptor
    private var descriptor: Int32 { lent.fd }
    #else
    private let descriptor: Int32
    #endif

    /// - Parameter database: the database file (on Linux, locked itself; on Darwin, the
    ///   stem of the per-byte lock files).
    package init(database: String, offset: Int64) throws(LockFileError) {
        #if os(Linux)
        lent = try LockDescriptor(database: database)
        path = database
        #else
        let file = "\(database)-locks.\(offset)"
        let fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw LockFileError(path: file, errno: errno) }
        path = file
        descriptor = fd
        #endif
        self.offset = offset
    }

    deinit {
        #if os(Linux)
        unlock()
        #else
        close(descriptor)
        #endif
    }

    /// The other processes holding this byte now (Linux; empty elsewhere), for a refusal.
    package func otherHolders() -> [Int32] {
        #if os(Linux)
        LockHolders.processes(device: lent.key.device, inode: lent.key.inode, offset: offset)
        #else
        []
        #endif
    }

    /// The descriptor whose lock this is: a child process that inherits it holds the lock
    /// too, until the last descriptor of it is closed.
    package var fileDescriptor: Int32 { descriptor }
    package var inheritableDescriptors: [Int32] { [descriptor] }

    /// Takes the lock exclusively if no other holder has it.
    package func tryLock() throws(NonceStoreError) -> Bool {
        do {
            return try tryLock(shared: false)
        } catch {
            throw .cannotOpen(path: error.path, reason: error.description, cause: error)
        }
    }

    /// Takes the lock if no conflicting holder has it; returns false when one does.
    ///
    /// - Parameter shared: take it shared (several shared holders coexist; an exclusive one
    ///   conflicts with all) rather than exclusive.
    package func tryLock(shared: Bool) throws(LockFileError) -> Bool {
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

    /// True when a lock that conflicts with an exclusive one is held on this byte through
    /// another descriptor, in any process. Takes nothing.
    package func isLockedElsewhere() -> Bool {
        #if os(Linux)
        var probe = Self.range(type: Int16(F_WRLCK), offset: offset)
        guard fcntl(descriptor, Self.getOFDLock, &probe) == 0 else { return false }
        return probe.l_type != Int16(F_UNLCK)
        #else
        guard (try? tryLock(shared: false)) == true else { return true }
        unlock()
        return false
        #endif
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
    static let getOFDLock: Int32 = 36
    static let setOFDLock: Int32 = 37
    static let setOFDLockWait: Int32 = 38
    #endif
}

/// A database file could not be opened or locked for this package's own locks.
package struct LockFileError: Error, CustomStringConvertible {
    package let path: String
    package let errno: Int32
    package var description: String { "locking '\(path)': \(String(cString: strerror(errno)))" }
}
