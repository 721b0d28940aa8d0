import NonceKit
import Foundation
import NonceBackend
import NonceSQLite
import NonceTestSupport
import Testing

/// The Python package's sources (`python/src`), beside this package's: importable with PYTHONPATH.
let pythonPackageSources = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("python/src")

/// python3 on the PATH, if there is one.
let python3: URL? = (ProcessInfo.processInfo.environment["PATH"] ?? "")
    .split(separator: ":").map { URL(fileURLWithPath: String($0)).appendingPathComponent("python3") }
    .first { FileManager.default.isExecutableFile(atPath: $0.path) }

@Suite("Shared streams across processes")
struct SharedProcessTests {
    /// Checks what several processes issued on one shared stream: every nonce distinct, each
    /// process's own sequence strictly increasing, the history exactly these nonces.
    static func checkIssued(_ perProcess: [[UInt64]], database: String, stream: String) throws {
        for nonces in perProcess {
            #expect(zip(nonces, nonces.dropFirst()).allSatisfy { $0 < $1 })
        }
        let all = perProcess.flatMap { $0 }
        #expect(Set(all).count == all.count)
        let store = try BackendOpener.open(database)
        let history = try store.history(stream: stream, limit: all.count + 10)
        #expect(history.count == all.count)
        #expect(Set(history.map { UInt64($0.nonce) }) == Set(all))
        // History in issue (commit) order is strictly increasing across all processes.
        let inOrder = history.reversed().map(\.nonce)
        #expect(zip(inOrder, inOrder.dropFirst()).allSatisfy { $0 < $1 })
        let report = try store.verify(stream: nil)
        #expect(report.isValid, "\(report.problems)")
    }

    @Test("four processes issuing 20,000 nonces each on one shared stream: 80,000 distinct, all recorded", arguments: TestBackend.available)
    func fourProcesses(backend: TestBackend) throws {
        let directory = try TemporaryDirectory()
        let database = backend.database(in: directory)
        let created = try ChildProcess.nonce(["stream", "create", "kraken", "--shared", "--db", database])
        #expect(created.status == 0, "\(created.stderr)")
        let children = try (0..<4).map { _ in
            try RunningChild(ChildProcess.nonce, ["next", "--count", "20000", "--stream", "kraken", "--db", database])
        }
        let issued = RunningChild.outputs(of: children).map { $0.compactMap(UInt64.init) }
        for child in children {
            #expect(child.process.terminationStatus == 0, "\(child.failureReport)")
        }
        #expect(issued.map(\.count) == [20_000, 20_000, 20_000, 20_000])
        try Self.checkIssued(issued, database: database, stream: "kraken")
    }

    @Test("a shared-stream process killed with -9: every nonce it printed is recorded, and the next is above them all", arguments: TestBackend.available)
    func killedSharedIssuer(backend: TestBackend) throws {
        let directory = try TemporaryDirectory()
        let database = backend.database(in: directory)
        _ = try ChildProcess.nonce(["stream", "create", "k", "--shared", "--db", database])
        for _ in 0..<3 {
            let child = try RunningChild(ChildProcess.nonce, ["next", "--count", "1000000", "--stream", "k", "--db", database])
            // Output is written in 64 KiB chunks: wait for the first, then kill mid-run.
            #expect(child.readLine(timeout: .seconds(60)) != nil)
            usleep(UInt32.random(in: 0...200_000))
            child.kill()
            let printed = child.remainingLines().compactMap(UInt64.init)
            let store = try BackendOpener.open(database)
            let recorded = Set(try store.history(stream: "k", limit: 10_000_000).map { UInt64($0.nonce) })
            // Each shared nonce commits (synced) before it is returned, so before it is printed.
            #expect(printed.allSatisfy(recorded.contains))
            let next = try ChildProcess.nonce(["next", "--stream", "k", "--db", database])
            #expect(UInt64(next.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 > (recorded.max() ?? 0))
        }
        #expect(try BackendOpener.open(database).verify(stream: nil).isValid)
    }

    @Test("the Python package and the Swift CLI issue concurrently from one sequence", .enabled(if: python3 != nil))
    func pythonAndSwift() throws {
        let directory = try TemporaryDirectory()
        _ = try ChildProcess.nonce(["stream", "create", "default", "--shared", "--db", directory.database])
        var environment = ProcessInfo.processInfo.environment
        environment["NONCE_DB"] = directory.database
        environment["PYTHONPATH"] = pythonPackageSources.path
        let python = try RunningChild(try #require(python3), ["-m", "noncestore", "next", "--count", "3000"], environment: environment)
        let swift = try RunningChild(ChildProcess.nonce, ["next", "--count", "3000", "--db", directory.database])
        let issued = RunningChild.outputs(of: [python, swift]).map { $0.compactMap(UInt64.init) }
        #expect(python.process.terminationStatus == 0 && swift.process.terminationStatus == 0)
        #expect(issued.map(\.count) == [3_000, 3_000])
        try Self.checkIssued(issued, database: directory.database, stream: "default")
        let pids = Set(try SQLiteStore(path: directory.database).history(stream: "default", limit: 10_000).map(\.pid))
        #expect(pids == [python.pid, swift.pid])
    }

    @Test("the API lock serializes bodies across processes, and they hold nonces in lock order", arguments: TestBackend.available)
    func apiLockAcrossProcesses(backend: TestBackend) throws {
        let directory = try TemporaryDirectory()
        let database = backend.database(in: directory)
        _ = try ChildProcess.nonce(["stream", "create", "k", "--shared", "--db", database])
        let children = try (0..<3).map { _ in
            try RunningChild(ChildProcess.helper, ["apilock", database, "k", "25", "2000"])
        }
        var bodies: [(start: Int64, end: Int64, nonce: UInt64)] = []
        for (child, lines) in zip(children, RunningChild.outputs(of: children)) {
            #expect(child.process.terminationStatus == 0)
            for line in lines {
                let fields = line.split(separator: " ")
                bodies.append((Int64(fields[0]) ?? 0, Int64(fields[1]) ?? 0, UInt64(fields[2]) ?? 0))
            }
        }
        #expect(bodies.count == 75)
        bodies.sort { $0.start < $1.start }
        for (earlier, later) in zip(bodies, bodies.dropFirst()) {
            #expect(earlier.end <= later.start, "two API-lock bodies overlapped")
            #expect(earlier.nonce < later.nonce, "a later body held a smaller nonce")
        }
    }

    @Test("a holder killed with -9 releases the API lock; a waiter times out before, proceeds after", arguments: TestBackend.available)
    func apiLockSurvivesKill(backend: TestBackend) throws {
        let directory = try TemporaryDirectory()
        let database = backend.database(in: directory)
        _ = try ChildProcess.nonce(["stream", "create", "k", "--shared", "--db", database])
        let holder = try RunningChild(ChildProcess.helper, ["apihold", database, "k"])
        #expect(holder.readLine() == "locked \(holder.pid)")
        let blocked = try ChildProcess.nonce(["exec", "--stream", "k", "--timeout", "300ms", "--db", database, "--", "true"])
        #expect(blocked.status != 0)
        #expect(blocked.stderr.contains("API lock was not free within"))
        holder.kill()
        let after = try ChildProcess.nonce(["exec", "--stream", "k", "--timeout", "10s", "--db", database, "--", "true"])
        #expect(after.status == 0, "\(after.stderr)")
    }

    @Test("nonce exec runs the command with NONCE and NONCE_STREAM, records the nonce, and exits with its status", arguments: TestBackend.available)
    func exec(backend: TestBackend) throws {
        let directory = try TemporaryDirectory()
        let database = backend.database(in: directory)
        _ = try ChildProcess.nonce(["stream", "create", "k", "--shared", "--db", database])
        let result = try ChildProcess.nonce([
            "exec", "--stream", "k", "--db", database, "--", "sh", "-c", "echo \"$NONCE $NONCE_STREAM\"; exit 7",
        ])
        #expect(result.status == 7)
        let fields = result.stdout.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        #expect(fields.count == 2 && fields[1] == "k")
        let recorded = try BackendOpener.open(database).history(stream: "k", limit: 1).first
        #expect(recorded.map { String($0.nonce) } == fields.first)
        #expect(recorded?.label == "sh")
        let missing = try ChildProcess.nonce(["exec", "--stream", "k", "--db", database, "--", "no-such-command-here"])
        #expect(missing.status == 127)
        #expect(missing.stderr.contains("cannot run 'no-such-command-here'"))
    }

    @Test("the CLI refuses a mode switch while a process holds the stream, naming it")
    func setModeWhileHeld() throws {
        let directory = try TemporaryDirectory()
        let holder = try RunningChild(ChildProcess.helper, ["hold", directory.database, "default"])
        _ = holder.readLine()
        let refused = try ChildProcess.nonce(["stream", "set-mode", "default", "shared", "--db", directory.database])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("held by process \(holder.pid)"))
        holder.kill()
        let switched = try ChildProcess.nonce(["stream", "set-mode", "default", "shared", "--db", directory.database])
        #expect(switched.status == 0, "\(switched.stderr)")
        let list = try ChildProcess.nonce(["stream", "list", "--json", "--db", directory.database])
        let streams = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]]
        #expect(streams?.first?["mode"] as? String == "shared")
    }
}

@Suite("nonce bench")
struct BenchCommandTests {
    @Test("a short run reports every figure beside its baseline, with latencies, restart time and memory, as JSON")
    func shortRun() throws {
        let result = try ChildProcess.nonce([
            "bench", "--count", "20000", "--latency-count", "2000", "--restart-rows", "5000", "--shared-count", "50",
            "--memory-count", "30000", "--json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let rows = try #require(report["results"] as? [[String: Any]])
        #expect(rows.map { $0["name"] as? String } == [
            "mutex + clock loop (baseline)", "exclusive, history off", "bulk history insert (baseline)",
            "INSERT ... SELECT in SQLite (limit)",
            "exclusive, history on, 1 thread(s)", "  the same, beside SQLite's limit",
            "exclusive, history on, 2 thread(s)", "  the same, beside SQLite's limit",
            "bare transaction loop (baseline)", "shared stream, 1 process", "shared stream, 2 processes",
        ])
        #expect(rows.allSatisfy { ($0["per_second"] as? Double ?? 0) > 0 })
        #expect(rows.filter { $0["baseline"] is String }.allSatisfy { ($0["ratio_to_baseline"] as? Double ?? 0) > 0 })
        let latencies = try #require(report["latencies"] as? [[String: Any]])
        #expect(latencies.map { $0["name"] as? String } == [
            "history off, 1 thread(s)", "history off, 2 thread(s)", "history on, 1 thread(s)", "history on, 2 thread(s)",
        ])
        for latency in latencies {
            #expect(latency["samples"] as? Int == 2_000)
            #expect((latency["p50"] as? Int ?? 0) > 0 && (latency["max"] as? Int ?? 0) >= (latency["p999"] as? Int ?? .max))
        }
        #expect(((report["restart"] as? [String: Any])?["seconds"] as? Double ?? 0) > 0)
        let memory = try #require(report["memory"] as? [String: Any])
        #expect(memory["nonces"] as? Int == 30_000)
        #expect((memory["peak_resident_bytes"] as? Int ?? 0) >= (memory["resident_at_start_bytes"] as? Int ?? .max))
    }

    @Test("--only runs just the parts asked for")
    func onlyLatency() throws {
        let result = try ChildProcess.nonce(["bench", "--only", "latency", "--latency-count", "1000", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect((report["results"] as? [Any])?.isEmpty == true)
        #expect((report["latencies"] as? [[String: Any]])?.count == 4)
        #expect(report["restart"] is NSNull && report["memory"] is NSNull)
    }
}

@Suite("Waiting for the write lock")
struct WriteWaitTests {
    @Test("a writer that gets no turn for its whole --wait fails, naming the wait and the stopped holder",
          .enabled(if: python3 != nil))
    func stoppedHolder() throws {
        let directory = try TemporaryDirectory()
        _ = try ChildProcess.nonce(["stream", "create", "s", "--shared", "--db", directory.database])
        // Another SQLite client takes the write lock and is then stopped inside its transaction.
        let holder = try RunningChild(try #require(python3), ["-c", """
            import sqlite3, sys, time
            c = sqlite3.connect(sys.argv[1], isolation_level=None)
            c.execute('BEGIN IMMEDIATE')
            print('locked', flush=True)
            time.sleep(600)
            """, directory.database])
        #expect(holder.readLine() == "locked")
        kill(holder.pid, SIGSTOP)
        defer { kill(holder.pid, SIGCONT) }
        let started = ContinuousClock.now
        let refused = try ChildProcess.nonce(["next", "--stream", "s", "--wait", "700ms", "--db", directory.database])
        #expect(refused.status != 0)
        #expect(ContinuousClock.now - started >= .milliseconds(700))
        #expect(refused.stdout.isEmpty)
        #expect(refused.stderr.contains("whole wait of 0.7 seconds"), "\(refused.stderr)")
        #expect(refused.stderr.contains("process \(holder.pid) (stopped inside its transaction)"), "\(refused.stderr)")
        // Reading takes no write lock: the stopped holder does not hold it up.
        for command in [["stats", "--stream", "s"], ["history", "--stream", "s"], ["stream", "list"], ["verify"]] {
            let reading = ContinuousClock.now
            let read = try ChildProcess.nonce(command + ["--wait", "5s", "--db", directory.database])
            #expect(read.status == 0, "\(command): \(read.stderr)")
            #expect(ContinuousClock.now - reading < .seconds(5), "\(command) waited for the write lock")
        }
        kill(holder.pid, SIGCONT)
        holder.kill()
        let admitted = try ChildProcess.nonce(["next", "--stream", "s", "--db", directory.database])
        #expect(admitted.status == 0, "\(admitted.stderr)")
    }
}
