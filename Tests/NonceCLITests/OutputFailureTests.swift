import Foundation
import NonceBackend
import NonceSQLite
import NonceTestSupport
import Testing

/// A result that cannot be written is an error, never a silent success.
@Suite("Standard output that cannot be written")
struct OutputFailureTests {
    static let shell = URL(fileURLWithPath: "/bin/sh")

    @Test("next, history, stats and stream list into a full device exit non-zero, naming standard output",
          arguments: [["next"], ["next", "--count", "100000"], ["history"], ["stats"], ["stats", "--json"], ["stream", "list"]])
    func fullDevice(command: [String]) throws {
        let directory = try TemporaryDirectory()
        try #require(try ChildProcess.nonce(["next", "--db", directory.database]).status == 0)
        let arguments = (command + ["--db", directory.database]).map { "'\($0)'" }.joined(separator: " ")
        let result = try ChildProcess.run(Self.shell, ["-c", "'\(ChildProcess.nonce.path)' \(arguments) > /dev/full"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("writing to standard output failed"), "\(result.stderr)")
    }

    @Test("with SIGPIPE ignored, next into a pipe its reader closed stops at once and exits non-zero")
    func closedPipe() throws {
        let directory = try TemporaryDirectory()
        // `trap '' PIPE` is inherited: the command's writes get EPIPE instead of a signal.
        let script = """
            trap '' PIPE
            '\(ChildProcess.nonce.path)' next --count 9223372036854775807 --db '\(directory.database)' | head -1 > /dev/null
            """
        let started = ContinuousClock.now
        let result = try ChildProcess.run(URL(fileURLWithPath: "/usr/bin/env"), ["bash", "-c", script + "\nexit ${PIPESTATUS[0]}"])
        #expect(result.status != 0, "\(result.stderr)")
        #expect(result.stderr.contains("the reader stopped reading"), "\(result.stderr)")
        #expect(ContinuousClock.now - started < .seconds(30))
        let issued = try #require(try SQLiteStore(path: directory.database).stream(named: "default")).issuedTotal
        #expect(issued < 100_000, "kept issuing into the void: \(issued) nonces")
    }
}
