#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The live processes that hold a byte-range lock on a file, for an error that names them.
///
/// An open-file-description lock belongs to a descriptor, not to the process that took it:
/// a command `nonce exec` started holds its claim through the descriptor it inherited, after
/// `exec` itself was killed. `/proc/locks` does not name such a holder (its pid reads -1);
/// each process's `/proc/PID/fdinfo` lists the locks of its own descriptors, so those are
/// read instead. Only called on a refusal: it walks every process's descriptors.
enum LockHolders {
    /// The pids whose descriptors hold a lock covering byte `offset` of the file `device`/`inode`.
    static func processes(device: UInt64, inode: UInt64, offset: Int64) -> [Int32] {
        #if os(Linux)
        let file = WriteLockHolder.procKey(device: device, inode: inode)
        let me = getpid()
        var holders: [Int32] = []
        for pid in numericEntries(of: "/proc") where pid != me {
            let folder = "/proc/\(pid)/fdinfo"
            for fd in numericEntries(of: folder) {
                guard let text = readSmallFile("\(folder)/\(fd)"), text.contains("lock:") else { continue }
                let covered = text.split(separator: "\n").contains { line in
                    // "lock:	1: OFDLCK ADVISORY  WRITE -1 fe:00:1234 1000 1000"
                    let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                    guard fields.first == "lock:", fields.count >= 9, fields[6] == file,
                          let start = Int64(fields[7]) else { return false }
                    let end = fields[8] == "EOF" ? Int64.max : (Int64(fields[8]) ?? -1)
                    return start <= offset && offset <= end
                }
                if covered {
                    holders.append(pid)
                    break
                }
            }
        }
        return holders.sorted()
        #else
        return []
        #endif
    }

    private static func numericEntries(of directory: String) -> [Int32] {
        guard let folder = opendir(directory) else { return [] }
        defer { closedir(folder) }
        var entries: [Int32] = []
        while let entry = readdir(folder) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if let number = Int32(name) { entries.append(number) }
        }
        return entries
    }

    private static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 4_096)
        let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        return count > 0 ? String(decoding: bytes.prefix(count), as: UTF8.self) : nil
    }
}
