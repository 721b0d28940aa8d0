import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NonceBackend

/// A descriptor of a database file, lent for this package's byte-range locks on the file
/// itself (stream claims, API locks, the write turn), far above the bytes SQLite locks.
///
/// The locks live on the database's inode, not on a file beside it: deleting a lock file or
/// reaching the database through a hard link cannot admit a second issuer. The price is
/// that no descriptor of the database file may ever be closed while this process has SQLite
/// connections to it: closing any descriptor of a file drops every POSIX lock the process
/// holds on it, SQLite's included (its shared lock is how another process knows the
/// write-ahead log is in use). So descriptors are never closed: a lock given up goes back
/// to a per-file pool and the next lock reuses it. A process keeps at most as many as it
/// ever held locks at once on one file.
package final class LockDescriptor: Sendable {
    /// A file's identity: its device and inode.
    struct FileKey: Hashable {
        let device: UInt64
        let inode: UInt64
    }

    package let fd: Int32
    /// The path it was opened by, for error messages.
    package let path: String
    let key: FileKey

    private static let pool = Mutex<[FileKey: [Int32]]>([:])

    /// Lends a descriptor of the database at `path` (which must exist).
    package init(database path: String) throws(LockFileError) {
        var info = stat()
        guard stat(path, &info) == 0 else { throw LockFileError(path: path, errno: errno) }
        let wanted = FileKey(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
        if let reused = Self.pool.withLock({ $0[wanted]?.popLast() }) {
            fd = reused
            key = wanted
        } else {
            var opened = open(path, O_RDWR | O_CLOEXEC)
            if opened < 0 && errno == EACCES { opened = open(path, O_RDONLY | O_CLOEXEC) }
            guard opened >= 0 else { throw LockFileError(path: path, errno: errno) }
            // The path may have been replaced between stat and open: key by what was opened.
            guard fstat(opened, &info) == 0 else { throw LockFileError(path: path, errno: errno) }
            fd = opened
            key = FileKey(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
        }
        self.path = path
    }

    /// Back to the pool, never closed (see the type's documentation). The lock user has
    /// released its byte by now.
    deinit {
        let fd = fd
        Self.pool.withLock { $0[key, default: []].append(fd) }
    }
}
