#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a legacy file without ever writing to it: size, SHA-256 of every byte, and the
/// first bytes for parsing.
struct LegacyFileReader {
    /// No nonce file of the old managers comes near this; anything larger is not one.
    static let largestNonceFile: Int64 = 64 * 1024

    struct Contents {
        var size: Int64
        var sha256: String
        /// Up to ``largestNonceFile`` bytes.
        var prefix: [UInt8]
    }

    /// Reads `path`. What it is and how large comes first, from `stat`, before it is opened:
    /// a FIFO, a device or a directory with a nonce file's name is never opened (opening a
    /// device can act on it), and a 64 GiB sparse file is never read or hashed.
    static func load(_ path: String) -> Result<Contents, LegacyValueProblem> {
        var info = stat()
        guard stat(path, &info) == 0 else { return .failure(.unreadable(errorText())) }
        if let kind = notRegular(info) { return .failure(.notARegularFile(kind)) }
        if Int64(info.st_size) > largestNonceFile { return .failure(.tooLarge(bytes: Int64(info.st_size))) }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else { return .failure(.unreadable(errorText())) }
        defer { close(fd) }
        // Swapped between stat and open: judge what was opened.
        guard fstat(fd, &info) == 0 else { return .failure(.unreadable(errorText())) }
        if let kind = notRegular(info) { return .failure(.notARegularFile(kind)) }
        var hasher = FileDigest()
        var prefix: [UInt8] = []
        var size: Int64 = 0
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(.unreadable(errorText()))
            }
            if count == 0 { break }
            let chunk = buffer[0..<count]
            hasher.update(chunk)
            if Int64(prefix.count) < largestNonceFile {
                prefix += chunk.prefix(Int(largestNonceFile) - prefix.count)
            }
            size += Int64(count)
            // Grew while being read: stop at once rather than read on without bound.
            if size > largestNonceFile { return .failure(.tooLarge(bytes: size)) }
        }
        return .success(Contents(size: size, sha256: hasher.finalizeHex(), prefix: prefix))
    }

    private static func errorText() -> String { String(cString: strerror(errno)) }

    /// What a file that is not a regular one is, in words; nil for a regular file.
    static func notRegular(_ info: stat) -> String? {
        switch info.st_mode & S_IFMT {
        case S_IFREG: nil
        case S_IFDIR: "a directory"
        case S_IFIFO: "a FIFO (named pipe)"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        default: "not a regular file"
        }
    }
}

