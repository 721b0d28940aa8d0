#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Collects output bytes and writes them to a file descriptor in large chunks: printing a
/// million nonces one `print` at a time would be dominated by the writes.
final class OutputBuffer {
    private var bytes: [UInt8] = []
    private let descriptor: Int32
    private let chunk = 1 << 16

    init(descriptor: Int32 = STDOUT_FILENO) {
        self.descriptor = descriptor
        bytes.reserveCapacity(chunk + 64)
    }

    func appendLine(_ text: String) {
        bytes.append(contentsOf: text.utf8)
        bytes.append(UInt8(ascii: "\n"))
        if bytes.count >= chunk { flush() }
    }

    func flush() {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                break  // the reader went away (EPIPE); nothing sensible left to do
            }
            offset += written
        }
        bytes.removeAll(keepingCapacity: true)
    }

    deinit { flush() }
}
