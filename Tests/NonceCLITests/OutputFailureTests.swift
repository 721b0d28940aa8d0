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

    @Test("a shared stream into a pipe whose reader took one line stops within moments, not thousands of nonces later")
    func sharedStreamClosedPipe() throws {
        let directory = try TemporaryDirectory()
        let created = try ChildProcess.nonce(["stream", "create", "s", "--shared", "--db", directory.database])
        try #require(created.status == 0, "\(created.stderr)")
        let readerLeft = directory.url.appendingPathComponent("reader-left").path
        // The reader notes when it left: the promise is counted from then, not from a start a
        // loaded machine may have delayed.
        let script = """
            trap '' PIPE
            '\(ChildProcess.nonce.path)' next --stream s --count 9223372036854775807 --db '\(directory.database)' \
              | { head -1; date +%s%N > '\(readerLeft)'; }
            exit ${PIPESTATUS[0]}
            """
        let started = ContinuousClock.now
        let result = try ChildProcess.run(URL(fileURLWithPath: "/usr/bin/env"), ["bash", "-c", script])
        let took = ContinuousClock.now - started
        #expect(UInt64(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) != nil, "the first nonce arrived: \(result.stdout)")
        #expect(result.status != 0 && result.stderr.contains("the reader stopped reading"), "\(result.stderr)")
        let left = try #require(Int64(try String(contentsOfFile: readerLeft, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        // Lines wait at most 50 ms (give or take 16 lines) before a write, and the first write
        // after the reader left fails: a few dozen nonces after that, not thousands.
        let store = try SQLiteStore(path: directory.database)
        let late = try store.withConnection {
            try $0.scalarInt64("SELECT count(*) FROM nonce_history WHERE stream = 's' AND issued_at > ?", [.integer(left + 50_000_000)])
        } ?? 0
        let recorded = try store.withConnection { try $0.scalarInt64("SELECT count(*) FROM nonce_history WHERE stream = 's'") }
        #expect(recorded == (try store.stream(named: "s"))?.issuedTotal, "the history holds every nonce issued, so the count above misses none")
        #expect(late <= 64, "kept issuing after the reader left: \(late) nonces more than 50 ms later")
        #expect(took < .seconds(10))
    }
}
