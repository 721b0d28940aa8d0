#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NonceBackend

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
    ///
    /// Read from `/proc/locks`, not with `F_GETLK` on a descriptor of our own: closing any
    /// descriptor of the `-shm` file would drop every POSIX lock this process holds on it,
    /// SQLite's own included (its read marks and the lock that says the file is in use).
    static func find(database: String) -> WriteLockHolder? {
        #if os(Linux)
        var info = stat()
        guard stat(database + "-shm", &info) == 0,
              let table = Self.readProcFile("/proc/locks")
        else { return nil }
        let file = procKey(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
        for line in table.split(separator: "\n") where !line.contains("->") {
            // "1: POSIX  ADVISORY  WRITE 4321 08:01:1234 120 120"
            let fields = line.split(separator: " ")
            guard fields.count >= 8, fields[1] == "POSIX", fields[3] == "WRITE", fields[5] == file,
                  let start = Int64(fields[6]), let end = Int64(fields[7]), start <= 120, 120 <= end,
                  let pid = Int32(fields[4]), pid > 0
            else { continue }
            return WriteLockHolder(pid: pid, activity: activity(of: pid))
        }
        return nil
        #else
        return nil
        #endif
    }

    /// Processes holding any POSIX lock on `file` (SQLite's connections to a WAL database
    /// hold one on its `-shm` while they have it open), this one included unless
    /// `excludingThis`; empty where `/proc/locks` cannot be read.
    static func processesLocking(_ file: String, excludingThis: Bool) -> [Int32] {
        #if os(Linux)
        var info = stat()
        guard stat(file, &info) == 0, let table = Self.readProcFile("/proc/locks") else { return [] }
        let key = procKey(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
        let me = getpid()
        return table.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard !line.contains("->"), fields.count >= 6, fields[1] == "POSIX", fields[5] == key,
                  let pid = Int32(fields[4]), pid > 0, !(excludingThis && pid == me) else { return nil }
            return pid
        }
        #else
        return []
        #endif
    }

    /// A file as `/proc/locks` and `/proc/PID/fdinfo` name it: `MAJOR:MINOR:INODE`, the
    /// device numbers in hexadecimal, at least two digits (`%02x`).
    static func procKey(device: UInt64, inode: UInt64) -> String {
        let major = ((device >> 8) & 0xfff) | ((device >> 32) & ~UInt64(0xfff))
        let minor = (device & 0xff) | ((device >> 12) & ~UInt64(0xff))
        return String(major, radix: 16).leftPadded(to: 2) + ":" + String(minor, radix: 16).leftPadded(to: 2) + ":" + String(inode)
    }

    /// A small file of `/proc`, whole (its size reads as 0, so read until the end).
    private static func readProcFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            bytes += chunk.prefix(count)
        }
        return String(decoding: bytes, as: UTF8.self)
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

private extension String {
    /// Zero-padded on the left, as `/proc/locks` prints device numbers (`%02x`).
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
