#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writing to standard output failed: a full disk (`> /dev/full`), a reader that went away
/// (`| head -1`). The command stops and exits non-zero instead of working on into the void.
struct OutputError: Error, CustomStringConvertible {
    let code: Int32
    var description: String {
        "writing to standard output failed: \(String(cString: strerror(code)))"
            + (code == EPIPE ? " (the reader stopped reading)" : "") + "; stopped"
    }
}

/// Every result line the commands print goes through here, checked: `print` would drop a
/// failed write without a word.
enum Output {
    /// Whether SIGPIPE had its default action when the command started: a command that
    /// `nonce exec` runs gets it back (see ``ignoreBrokenPipe()``).
    nonisolated(unsafe) private(set) static var brokenPipeWasDefault = false

    /// A write to a closed pipe then fails with EPIPE, reported as an ``OutputError``, instead
    /// of killing the process before it closes its stream cleanly. Called once, at start.
    static func ignoreBrokenPipe() {
        brokenPipeWasDefault = signal(SIGPIPE, SIG_IGN) == nil
    }

    /// Writes `text` and a newline.
    static func line(_ text: String) throws(OutputError) {
        try write(text + "\n")
    }

    /// Writes `text` as it is.
    static func write(_ text: String) throws(OutputError) {
        var bytes = Array(text.utf8)
        try write(&bytes)
    }

    static func write(_ bytes: inout [UInt8], to descriptor: Int32 = STDOUT_FILENO) throws(OutputError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { systemWrite(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw OutputError(code: errno)
            }
            offset += written
        }
    }
}

/// Collects output bytes and writes them to a file descriptor in large chunks: printing a
/// million nonces one `print` at a time would be dominated by the writes. A failed write
/// throws from the `appendLine` that wrote, so a loop producing the lines stops at once.
///
/// Lines also go out once ``maximumDelay`` has passed since the last write (the first line
/// at once): a slow producer (a shared stream, one durable transaction a nonce) would
/// otherwise take seconds to fill a chunk, and only learn that its reader left (`| head -1`)
/// after thousands of nonces nobody reads.
final class OutputBuffer {
    private var bytes: [UInt8] = []
    private let descriptor: Int32
    private let chunk = 1 << 16
    /// The longest a line waits in the buffer, give or take ``linesPerClockCheck`` lines.
    static let maximumDelay: Int64 = 50_000_000
    /// The clock is read every this many lines, so a fast producer barely pays for it.
    private static let linesPerClockCheck = 16
    private var linesSinceCheck = 0
    private var lastWrite: Int64 = 0

    init(descriptor: Int32 = STDOUT_FILENO) {
        self.descriptor = descriptor
        bytes.reserveCapacity(chunk + 64)
    }

    func appendLine(_ text: String) throws(OutputError) {
        bytes.append(contentsOf: text.utf8)
        bytes.append(UInt8(ascii: "\n"))
        if bytes.count >= chunk { return try flush() }
        linesSinceCheck += 1
        guard linesSinceCheck >= Self.linesPerClockCheck || lastWrite == 0 else { return }
        linesSinceCheck = 0
        if Self.monotonicNanoseconds() - lastWrite >= Self.maximumDelay { try flush() }
    }

    /// Writes what is collected; call it at the end (nothing is written on deinit).
    func flush() throws(OutputError) {
        defer { bytes.removeAll(keepingCapacity: true) }
        lastWrite = Self.monotonicNanoseconds()
        try Output.write(&bytes, to: descriptor)
    }

    private static func monotonicNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }
}

/// write(2), named apart from ``Output/write(_:)``.
private func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, buffer, count)
}
