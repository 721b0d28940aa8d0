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

    /// Reads `path`. Non-blocking open and a regular-file check first, so that a FIFO with a
    /// nonce file's name cannot hang the import.
    static func load(_ path: String) -> Result<Contents, LegacyValueProblem> {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else { return .failure(.unreadable(errorText())) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .failure(.unreadable(errorText())) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { return .failure(.unreadable("not a regular file")) }
        var hasher = SHA256()
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
        }
        return .success(Contents(size: size, sha256: hasher.finalizeHex(), prefix: prefix))
    }

    private static func errorText() -> String { String(cString: strerror(errno)) }
}

