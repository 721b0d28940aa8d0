#if PostgreSQL  // The PostgreSQL backend is built only with the trait.
import Foundation
import NoncePostgres
import NonceTestSupport
import Testing

/// What a PostgreSQL holder leaves when it stops: the nonces it issued are all printed,
/// and its claim is free for the next process at once.
@Suite("PostgreSQL: what a stopped holder leaves", .enabled(if: TestBackend.postgresURI != nil))
struct PostgresHolderExitTests {
    @Test("next --count N that fails mid-run prints every nonce it issued before the error (synchronous history: each one recorded)")
    func printsWhatItIssued() throws {
        let db = TestBackend.freshSchema()
        let schema = String(db.split(separator: "=").last ?? "")
        // Synchronous history commits each nonce's row before it is returned, so the history
        // is exactly what was issued; a few hundred a second, fewer than one output buffer.
        let holder = try HolderProcess(["next", "--count", "100000000", "--history", "synchronous", "--db", db, "--stream", "ex"])
        let admin = try PostgresStore(uri: db)
        let deadline = ContinuousClock.now + .seconds(30)
        while try (admin.integer(sql: "SELECT count(*) FROM nonce_history") ?? 0) < 50 && ContinuousClock.now < deadline {
            usleep(20_000)
        }
        _ = try admin.integer(sql: """
            SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
            WHERE application_name = 'nonce/\(schema)' AND pid <> pg_backend_pid()
            """)
        let took = holder.waitForExit(within: PostgresFaultTests.bound)
        if took == nil { holder.kill() }
        #expect(took != nil, "the holder did not stop")
        #expect(holder.process.terminationStatus != 0)
        let recorded = Set(try PostgresStore(uri: db).integers(sql: "SELECT nonce FROM nonce_history").map { UInt64($0) })
        let printed = holder.printed
        #expect(!recorded.isEmpty)
        // At most one more recorded than printed: a commit the server made just as the session
        // ended, whose reply never came (that nonce was not handed out).
        #expect(Set(printed).isSubset(of: recorded) && recorded.count - printed.count <= 1,
                "printed \(printed.count), issued \(recorded.count): \(holder.stderr)")
    }

    @Test("after kill -9 of a holder the next process claims the stream at once, 10 rounds (never 'held by' the dead one)")
    func claimFreeAfterKill() throws {
        let db = TestBackend.freshSchema()
        var top: UInt64 = 0
        for round in 1...10 {
            let holder = try HolderProcess(["next", "--count", "100000000", "--db", db, "--stream", "ex"])
            try #require(holder.waitForOutput(within: .seconds(30)), "round \(round): \(holder.stderr)")
            holder.kill()
            top = max(top, holder.printed.max() ?? 0)
            let next = try ChildProcess.nonce(["next", "--db", db, "--stream", "ex"])
            #expect(next.status == 0, "round \(round): \(next.stderr)")
            let nonce = UInt64(next.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            #expect(nonce > top, "round \(round)")
            top = max(top, nonce)
        }
    }
}
#endif
