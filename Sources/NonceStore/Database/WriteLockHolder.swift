#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Who holds a WAL database's write lock, for an error that says why a write got no turn.
///
/// SQLite takes the WAL write lock as a POSIX lock on byte 120 of the `-shm` file
/// (`WAL_WRITE_LOCK`), so `F_GETLK` there names the holding process. The holder's state in
/// `/proc` then tells a disk that is slow to sync (state D) from a stopped process (T).
struct WriteLockHolder: Sendable, Equatable, CustomStringConvertible {
    let pid: Int32
    /// What the process was doing when looked at, in words; nil where `/proc` says nothing.
    let activity: String?

    var description: String {
        "process \(pid)" + (activity.map { " (\($0))" } ?? "")
    }

    /// The process holding `database`'s write lock now, if another process holds it.
    static func find(database: String) -> WriteLockHolder? {
        let fd = open(database + "-shm", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var probe = flock()
        probe.l_type = Int16(F_WRLCK)
        probe.l_whence = Int16(SEEK_SET)
        probe.l_start = 120
        probe.l_len = 1
        guard fcntl(fd, F_GETLK, &probe) == 0, probe.l_type != Int16(F_UNLCK), probe.l_pid > 0 else { return nil }
        return WriteLockHolder(pid: probe.l_pid, activity: activity(of: probe.l_pid))
    }

    private static func activity(of pid: Int32) -> String? {
        #if os(Linux)
        guard let file = fopen("/proc/\(pid)/stat", "r") else { return nil }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 512)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return nil }
        let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // The state follows the command name, which is in parentheses and may hold spaces.
        guard let close = line.lastIndex(of: ")") else { return nil }
        let state = line[line.index(after: close)...].dropFirst().first
        switch state {
        case "D": return "waiting for the disk to sync: the storage is slow"
        case "T", "t": return "stopped inside its transaction"
        case "R", "S": return "running"
        default: return nil
        }
        #else
        return nil
        #endif
    }
}
