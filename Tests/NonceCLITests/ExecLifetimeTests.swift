import Foundation
import NonceTestSupport
import Testing

/// `nonce exec` holds the API lock for exactly as long as its command lives.
@Suite("nonce exec: the lock lives as long as the command")
struct ExecLifetimeTests {
    /// A named pipe the test writes to when a command waiting on it may go on.
    struct Gate {
        let path: String
        init(in directory: TemporaryDirectory) throws {
            path = directory.path("gate")
            guard mkfifo(path, 0o600) == 0 else { throw CocoaError(.fileWriteUnknown) }
        }
        /// Lets one `read x < gate` finish.
        func open() throws {
            let handle = try #require(FileHandle(forWritingAtPath: path))
            handle.write(Data("go\n".utf8))
            try handle.close()
        }
    }

    /// Runs `nonce exec --timeout 300ms -- true` on the stream: fails while another holds its lock.
    static func quickExec(_ directory: TemporaryDirectory, timeout: String = "300ms") throws -> ChildProcess.Result {
        try ChildProcess.nonce(["exec", "--stream", "s", "--db", directory.database, "--timeout", timeout, "--", "true"])
    }

    @Test("kill -9 of nonce exec: the command keeps the lock until it exits, then the next process gets it",
          arguments: [true, false])
    func killedExec(shared: Bool) throws {
        let directory = try TemporaryDirectory()
        let created = try ChildProcess.nonce(["stream", "create", "s", "--db", directory.database] + (shared ? ["--shared"] : []))
        #expect(created.status == 0, "\(created.stderr)")
        let gate = try Gate(in: directory)
        let exec = try RunningChild(ChildProcess.nonce, [
            "exec", "--stream", "s", "--db", directory.database, "--",
            "sh", "-c", "echo ready $$; read x < '\(gate.path)'; echo done",
        ])
        let ready = try #require(exec.readLine(), "\(exec.failureReport)")
        let command = try #require(ready.hasPrefix("ready ") ? Int32(ready.dropFirst(6)) : nil, "\(ready)")
        exec.kill()
        // exec is gone; its command still runs and still holds the lock.
        let refused = try Self.quickExec(directory)
        #expect(refused.status != 0, "another process got in while the orphaned command ran")
        #expect(refused.stderr.contains(shared ? "API lock" : "held"), "\(refused.stderr)")
        if !shared {
            // Named by the process that holds it now, not by the dead exec's pid.
            #expect(refused.stderr.contains("process \(command)") && !refused.stderr.contains("process \(exec.pid)"),
                    "\(refused.stderr)")
        }
        try gate.open()
        // The command's own output still reaches the pipe exec shared with it.
        #expect(exec.readLine() == "done")
        let admitted = try Self.quickExec(directory, timeout: "10s")
        #expect(admitted.status == 0, "\(admitted.stderr)")
    }

    @Test("SIGINT, SIGTERM and SIGHUP reach the command; exec keeps the lock until it exits, and exits with its status",
          arguments: [SIGINT, SIGTERM, SIGHUP])
    func forwardsSignals(signal: Int32) throws {
        let directory = try TemporaryDirectory()
        _ = try ChildProcess.nonce(["stream", "create", "s", "--shared", "--db", directory.database])
        let gate = try Gate(in: directory)
        let script = """
            trap 'echo caught; read x < "\(gate.path)"; exit 7' INT TERM HUP
            echo ready
            while :; do sleep 0.05; done
            """
        let exec = try RunningChild(ChildProcess.nonce, ["exec", "--stream", "s", "--db", directory.database, "--", "sh", "-c", script])
        #expect(exec.readLine() == "ready", "\(exec.failureReport)")
        kill(exec.pid, signal)
        #expect(exec.readLine() == "caught", "\(exec.failureReport)")
        // The command is winding down: the lock is still exec's.
        #expect(try Self.quickExec(directory).status != 0)
        try gate.open()
        exec.process.waitUntilExit()
        #expect(exec.process.terminationReason == .exit)
        #expect(exec.process.terminationStatus == 7, "\(exec.failureReport)")
        #expect(try Self.quickExec(directory, timeout: "10s").status == 0)
    }
}
