#if PostgreSQL  // The PostgreSQL backend is built only with the trait.
import Foundation
import NoncePostgres
import NonceTestSupport
import Synchronization
import Testing

/// An exclusive holder (`nonce next --count N`) whose server goes away under it: it must
/// exit non-zero with a clear message within the bound the PostgreSQL article gives, and a new process
/// must issue above everything it printed. Ten rounds of each fault; a restart and a killed
/// backend disturb every session of a server, so those run on a server of their own.
@Suite("PostgreSQL: a holder whose server fails stops within the bound", .enabled(if: TestBackend.postgresURI != nil))
struct PostgresFaultTests {
    /// The bound the PostgreSQL article gives: the reply timeout (5 s) and a history flush interval, with room
    /// for the process to exit.
    static let bound = Duration.seconds(6)
    static let rounds = 10

    @Test("pg_ctl restart -m immediate: the holder exits non-zero within the bound, the next process issues above it")
    func restart() throws {
        let server = try ThrowawayServer()
        let db = TestBackend.freshSchema(server.uri)
        let times = try (1...Self.rounds).map { round in
            try Self.faultRound(db: db, round: round) { _ in try server.restartImmediately() }
        }
        Self.report("pg_ctl restart -m immediate", times)
    }

    @Test("kill -9 of the claim's backend: the holder exits non-zero within the bound, the next process issues above it")
    func killBackend() throws {
        let server = try ThrowawayServer()
        let db = TestBackend.freshSchema(server.uri)
        let times = try (1...Self.rounds).map { round in
            try Self.faultRound(db: db, round: round) { schema in
                let backend = try #require(try Self.claimBackend(db: db, schema: schema))
                kill(pid_t(backend), SIGKILL)
            }
        }
        Self.report("kill -9 of the claim's backend", times)
    }

    @Test("pg_terminate_backend of the holder's sessions: it exits non-zero within the bound, the next process issues above it")
    func terminateBackend() throws {
        let db = TestBackend.freshSchema()
        let times = try (1...Self.rounds).map { round in
            try Self.faultRound(db: db, round: round) { schema in
                let ended = try PostgresStore(uri: db).integer(sql: """
                    SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                    WHERE application_name = 'nonce/\(schema)' AND pid <> pg_backend_pid()
                    """)
                #expect(ended ?? 0 >= 1)
            }
        }
        Self.report("pg_terminate_backend", times)
    }

    /// The measured stop times, for the record (a plain line, not a log line).
    static func report(_ fault: String, _ times: [Duration]) {
        let sorted = times.sorted()
        guard let last = sorted.last else { return }
        print("\(fault): \(times.count) holders stopped in \(sorted[sorted.count / 2]) (median), \(last) (longest)")
    }

    /// One round: a holder issues, `fault` strikes, the holder must stop in time with a
    /// clear error, and a new process must start above every nonce the holder printed.
    /// Returns how long the holder took to stop.
    @discardableResult
    static func faultRound(db: String, round: Int, fault: @escaping @Sendable (String) throws -> Void) throws -> Duration {
        let schema = String(db.split(separator: "=").last ?? "")
        let holder = try HolderProcess(["next", "--count", "100000000", "--db", db, "--stream", "ex"])
        try #require(holder.waitForOutput(within: .seconds(30)), "round \(round): the holder never issued: \(holder.stderr)")
        let faultError = Mutex<String?>(nil)
        let faultDone = DispatchSemaphore(value: 0)
        // The fault runs beside the wait: a restart takes a while, and the holder may stop
        // before it is over.
        Thread {
            do { try fault(schema) } catch { faultError.withLock { $0 = "\(error)" } }
            faultDone.signal()
        }.start()
        let took = holder.waitForExit(within: bound + .seconds(4))
        if took == nil { holder.kill() }
        faultDone.wait()
        #expect(faultError.withLock { $0 } == nil, "round \(round): the fault failed: \(faultError.withLock { $0 } ?? "")")
        let stopped = try #require(took, "round \(round): the holder was still running \(bound + .seconds(4)) after the fault")
        #expect(stopped <= bound, "round \(round): the holder took \(stopped) to stop")
        #expect(holder.process.terminationStatus != 0, "round \(round)")
        let message = holder.stderr
        #expect(message.contains("postgresql://") && (message.contains("lost") || message.contains("ended") || message.contains("no reply")),
                "round \(round): \(message)")
        #expect(!message.contains("Generic description"), "round \(round): \(message)")
        let printed = holder.printed
        let top = try #require(printed.max(), "round \(round)")
        let after = try nextAfterRecovery(db: db)
        #expect(after.count == 3 && after.allSatisfy { $0 > top }, "round \(round): \(after) after \(top)")
        return stopped
    }

    /// Three nonces from a new process, once the server accepts connections again.
    static func nextAfterRecovery(db: String) throws -> [UInt64] {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            let result = try ChildProcess.nonce(["next", "--count", "3", "--db", db, "--stream", "ex"])
            if result.status == 0 { return result.lines.compactMap(UInt64.init) }
            guard ContinuousClock.now < deadline else { throw Failure(text: "no new process could issue: \(result.stderr)") }
            usleep(100_000)
        }
    }

    /// The backend of the session that holds the stream's claim.
    static func claimBackend(db: String, schema: String) throws -> Int64? {
        try PostgresStore(uri: db).integer(sql: """
            SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 AND granted
              AND classid::bigint = \(PostgresLockKeys(schema: schema).claim) LIMIT 1
            """)
    }

    struct Failure: Error, CustomStringConvertible {
        let text: String
        var description: String { text }
    }
}
#endif
