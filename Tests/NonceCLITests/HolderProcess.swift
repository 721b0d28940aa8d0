import Foundation
import NonceTestSupport

/// A `nonce next --count N` that runs until something stops it, with its output going to
/// files: it prints as fast as it issues, and a file never fills as a pipe nobody reads
/// would (a child blocked on a full pipe could not show whether it notices a fault).
final class HolderProcess {
    let process = Process()
    private let outputFile: URL
    private let errorFile: URL

    init(_ arguments: [String]) throws {
        let base = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("noncestore-holder-\(UUID().uuidString)")
        outputFile = base.appendingPathExtension("out")
        errorFile = base.appendingPathExtension("err")
        for file in [outputFile, errorFile] { _ = FileManager.default.createFile(atPath: file.path, contents: nil) }
        process.executableURL = ChildProcess.nonce
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: outputFile)
        process.standardError = try FileHandle(forWritingTo: errorFile)
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }

    /// Waits until it has printed something (it is issuing); false if it never did.
    func waitForOutput(within limit: Duration) -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if let size = try? FileManager.default.attributesOfItem(atPath: outputFile.path)[.size] as? Int, size > 0 { return true }
            if !isRunning { return false }
            usleep(10_000)
        }
        return false
    }

    var isRunning: Bool { process.isRunning }

    /// Waits up to `limit` for it to exit; the time it took, or nil if it is still running.
    func waitForExit(within limit: Duration) -> Duration? {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < limit {
            if !isRunning { return ContinuousClock.now - start }
            usleep(5_000)
        }
        return nil
    }

    /// Every nonce it printed.
    var printed: [UInt64] {
        ((try? String(contentsOf: outputFile, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { UInt64($0) }
    }

    var stderr: String { (try? String(contentsOf: errorFile, encoding: .utf8)) ?? "" }

    func kill() {
        Foundation.kill(pid, SIGKILL)
        process.waitUntilExit()
    }

    deinit {
        if isRunning { kill() }
        for file in [outputFile, errorFile] { try? FileManager.default.removeItem(at: file) }
    }
}
