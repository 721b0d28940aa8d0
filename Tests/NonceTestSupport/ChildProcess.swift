public import Foundation
import Synchronization

/// Runs the package's own executables as real child processes.
public enum ChildProcess {
    /// The directory that holds the built products (`nonce`, `NonceTestHelper`): the test
    /// bundle is built beside them.
    public static let productsDirectory: URL = {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = executable.deletingLastPathComponent()
        // On macOS the test binary sits inside a .xctest bundle.
        while directory.pathExtension == "xctest" || directory.lastPathComponent == "MacOS"
            || directory.lastPathComponent == "Contents" {
            directory.deleteLastPathComponent()
        }
        return directory
    }()

    public static var nonce: URL { productsDirectory.appendingPathComponent("nonce") }
    public static var helper: URL { productsDirectory.appendingPathComponent("NonceTestHelper") }

    /// What a finished process left behind.
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        public var lines: [String] { stdout.split(separator: "\n").map(String.init) }
    }

    /// Runs `executable` with `arguments` to completion.
    public static func run(
        _ executable: URL, _ arguments: [String], environment: [String: String]? = nil,
        currentDirectory: URL? = nil
    ) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes before waiting, so a chatty child cannot fill a pipe and stall.
        let errData = Mutex(Data())
        let errDone = DispatchSemaphore(value: 0)
        Thread {
            let data = err.fileHandleForReading.readDataToEndOfFile()
            errData.withLock { $0 = data }
            errDone.signal()
        }.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        errDone.wait()
        return Result(
            status: process.terminationStatus,
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: errData.withLock { String(decoding: $0, as: UTF8.self) })
    }

    /// Runs `nonce` with `arguments`.
    public static func nonce(_ arguments: [String], environment: [String: String]? = nil, currentDirectory: URL? = nil) throws -> Result {
        try run(nonce, arguments, environment: environment, currentDirectory: currentDirectory)
    }
}

/// A child that keeps running while the test reads its output line by line, until killed.
public final class RunningChild: @unchecked Sendable {
    // @unchecked: `buffer` is only touched by the reading thread of the test that owns this.
    public let process = Process()
    private let output = Pipe()
    private var buffer = Data()
    /// Standard error goes to a file: a pipe nobody reads could fill and stall the child.
    private let errorFile = URL(fileURLWithPath: NSTemporaryDirectory())
        .appendingPathComponent("noncestore-child-\(UUID().uuidString).stderr")

    public init(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil) throws {
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardOutput = output
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: errorFile)
        try process.run()
    }

    public var pid: Int32 { process.processIdentifier }

    /// What the child wrote to standard error so far.
    public var stderr: String {
        (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
    }

    /// A line for a failed expectation: the exit status and standard error.
    public var failureReport: String {
        "pid \(pid) exited \(process.isRunning ? "(still running)" : String(process.terminationStatus)); stderr: \(stderr)"
    }

    /// Reads the next whole line; nil at end of output or when none came within `timeout`
    /// (so a stuck child fails the test instead of hanging it).
    public func readLine(timeout: Duration = .seconds(30)) -> String? {
        let deadline = ContinuousClock.now + timeout
        let descriptor = output.fileHandleForReading.fileDescriptor
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                buffer.removeSubrange(buffer.startIndex...newline)
                return line
            }
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return nil }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(clamping: left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)
            if poll(&poller, 1, max(1, milliseconds)) <= 0 { continue }
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            let count = read(descriptor, &chunk, chunk.count)
            if count <= 0 { return nil }
            buffer.append(contentsOf: chunk[0..<count])
        }
    }

    /// Sends SIGKILL and waits for the process to be gone.
    ///
    /// Waits with `waitid(WNOWAIT)` rather than `waitUntilExit()`: Foundation notices an exit
    /// through a socket the child inherits, so while anything the child started keeps it
    /// open (a command orphaned by design), `waitUntilExit()` would not return.
    public func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        var info = siginfo_t()
        while waitid(P_PID, id_t(process.processIdentifier), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
    }

    /// Every remaining complete line, until the output ends (or nothing comes for `quiet`).
    public func remainingLines(quiet: Duration = .seconds(5)) -> [String] {
        var lines: [String] = []
        while let line = readLine(timeout: quiet) { lines.append(line) }
        return lines
    }

    /// Reads several children's output at once, to its end, and waits for them to exit.
    /// Reading one after another would let a child that fills its pipe stall for ever.
    public static func outputs(of children: [RunningChild], quiet: Duration = .seconds(60)) -> [[String]] {
        let results = Mutex([[String]](repeating: [], count: children.count))
        DispatchQueue.concurrentPerform(iterations: children.count) { index in
            let lines = children[index].remainingLines(quiet: quiet)
            children[index].process.waitUntilExit()
            results.withLock { $0[index] = lines }
        }
        return results.withLock { $0 }
    }

    deinit {
        if process.isRunning { kill() }
        try? FileManager.default.removeItem(at: errorFile)
    }
}
