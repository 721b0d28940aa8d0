import Foundation
import NonceTestSupport
import Testing

/// A database renamed, moved or deleted while a process issues from it: no process, at the
/// old path or the new one, ever issues below a nonce the holder printed.
@Suite("A database moved while in use")
struct MovedDatabaseTests {
    /// Starts an exclusive holder issuing for ever (10 ms leases, no history) and returns it
    /// with the first nonce it printed.
    private func startHolder(_ database: String) throws -> (RunningChild, UInt64) {
        let holder = try RunningChild(ChildProcess.helper, ["issue", database, "ex", "10000000", "off", "0", "0"])
        let first = try #require(holder.readLine().flatMap(UInt64.init), "\(holder.failureReport)")
        return (holder, first)
    }

    @Test("renamed under its holder: the old path refuses and creates nothing, the holder stops; what follows is above it",
          arguments: [false, true])
    func renamedUnderHolder(shared: Bool) throws {
        let directory = try TemporaryDirectory()
        let database = directory.database, moved = directory.path("moved.sqlite")
        if shared {
            // A shared stream's holder checks before each nonce's transaction.
            let created = try ChildProcess.nonce(["stream", "create", "ex", "--shared", "--db", database])
            try #require(created.status == 0, "\(created.stderr)")
        }
        let (holder, first) = try startHolder(database)
        defer { holder.kill() }
        try #require(rename(database, moved) == 0)

        // The old path: its log is there without a database. Refused; nothing made or removed.
        let atOldPath = try ChildProcess.nonce(["next", "--db", database, "--stream", "ex"])
        #expect(atOldPath.status != 0 && atOldPath.stdout.isEmpty)
        #expect(atOldPath.stderr.contains("nonces.sqlite-wal") && atOldPath.stderr.contains("moved or deleted while a process had it open"),
                "\(atOldPath.stderr)")
        #expect(!FileManager.default.fileExists(atPath: database), "no database was created over the holder's log")

        // The holder notices at its next mark renewal (10 ms of nonces) and stops, failing.
        let printed = [first] + holder.remainingLines(quiet: .seconds(20)).compactMap(UInt64.init)
        holder.process.waitUntilExit()
        #expect(holder.process.terminationStatus != 0)
        #expect(holder.stderr.contains("no longer leads to the database this process has open"), "\(holder.stderr)")

        // Its last commits are in the moved file (when it closed on the way out, folding its
        // log in) or in the log at the old path: then the new path refuses until the
        // database is back there. Either way no nonce at or below a printed one follows.
        let atNewPath = try ChildProcess.nonce(["next", "--db", moved, "--stream", "ex"])
        var next = UInt64(atNewPath.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        if atNewPath.status != 0 {
            #expect(atNewPath.stderr.contains("was last used as") && next == nil, "\(atNewPath.stderr)")
            try #require(rename(moved, database) == 0)
            let atOldPathAgain = try ChildProcess.nonce(["next", "--db", database, "--stream", "ex"])
            #expect(atOldPathAgain.status == 0, "\(atOldPathAgain.stderr)")
            next = UInt64(atOldPathAgain.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        #expect(try #require(next) > printed.max() ?? 0)
    }

    @Test("renamed under a holder then killed with -9: the new path refuses while the old log remains; moved back, it continues above")
    func renamedThenKilled() throws {
        let directory = try TemporaryDirectory()
        let database = directory.database, moved = directory.path("moved.sqlite")
        let (holder, first) = try startHolder(database)
        defer { holder.kill() }
        var printed = [first]
        for _ in 0..<1_000 { if let line = holder.readLine(), let nonce = UInt64(line) { printed.append(nonce) } }
        try #require(rename(database, moved) == 0)
        holder.kill()
        printed += holder.remainingLines(quiet: .milliseconds(500)).compactMap(UInt64.init)
        try #require(FileManager.default.fileExists(atPath: database + "-wal"))

        // The moved file lacks the commits still in the log at the old path.
        let atNewPath = try ChildProcess.nonce(["next", "--db", moved, "--stream", "ex"])
        #expect(atNewPath.status != 0 && atNewPath.stdout.isEmpty)
        #expect(atNewPath.stderr.contains("was last used as") && atNewPath.stderr.contains("nonces.sqlite-wal"), "\(atNewPath.stderr)")

        // Moved back as the message says: the next nonce is above every one printed, and once
        // closed cleanly the database can be moved and used anywhere.
        try #require(rename(moved, database) == 0)
        let after = try ChildProcess.nonce(["next", "--db", database, "--stream", "ex"])
        #expect(after.status == 0, "\(after.stderr)")
        let next = try #require(UInt64(after.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(next > printed.max() ?? 0)
        try #require(rename(database, moved) == 0)
        let elsewhere = try ChildProcess.nonce(["next", "--db", moved, "--stream", "ex"])
        #expect(elsewhere.status == 0, "\(elsewhere.stderr)")
        #expect((UInt64(elsewhere.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) > next)
    }

    @Test("deleted under its holder: every command refuses, naming the files, and deletes nothing")
    func deletedUnderHolder() throws {
        let directory = try TemporaryDirectory()
        let database = directory.database
        let (holder, _) = try startHolder(database)
        defer { holder.kill() }
        try #require(unlink(database) == 0)
        holder.kill()
        let log = try Data(contentsOf: URL(fileURLWithPath: database + "-wal"))
        for command in [["next"], ["stats"], ["jump", "--by", "1s"], ["stream", "list"], ["verify"], ["history"]] {
            let result = try ChildProcess.nonce(command + ["--db", database])
            #expect(result.status != 0 && result.stdout.isEmpty, "\(command): \(result.stdout)")
            #expect(result.stderr.contains("is missing but") && result.stderr.contains("nonces.sqlite-shm"), "\(command): \(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: database))
        #expect(try Data(contentsOf: URL(fileURLWithPath: database + "-wal")) == log, "the log was kept as it was")
    }
}
