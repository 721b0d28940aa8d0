import Foundation
import NonceTestSupport
import Testing

/// A damaged write-ahead log: SQLite's recovery would drop every commit after the damage
/// without a word, the newest marks among them. NonceStore looks first and refuses.
@Suite("A damaged write-ahead log")
struct DamagedLogTests {
    /// Issues from a holder (10 ms leases: a durable commit every 10 ms of nonces), kills it
    /// with -9, and returns what it printed. Its log holds every commit since the database
    /// was created.
    private func issueThenKill(_ database: String) throws -> [UInt64] {
        let holder = try RunningChild(ChildProcess.helper, ["issue", database, "ex", "10000000", "batched", "0", "0"])
        defer { holder.kill() }
        var printed: [UInt64] = []
        while printed.count < 20_000, let line = holder.readLine(), let nonce = UInt64(line) { printed.append(nonce) }
        holder.kill()
        printed += holder.remainingLines(quiet: .milliseconds(300)).compactMap(UInt64.init)
        try #require(printed.count >= 20_000, "\(holder.failureReport)")
        return printed
    }

    @Test("one flipped byte early in the log: every command refuses, naming the log, and leaves the files as they were",
          arguments: [100, 40, 8])
    func flippedByte(offset: Int) throws {
        let directory = try TemporaryDirectory()
        let database = directory.database, log = database + "-wal"
        _ = try issueThenKill(database)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: log))
        try #require(bytes.count > 4_096 * 3, "the log holds several commits")
        bytes[offset] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: log))
        let before = try [database, log].map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        for command in [["next", "--stream", "ex"], ["verify"], ["stats", "--stream", "ex"]] {
            let result = try ChildProcess.nonce(command + ["--db", database])
            #expect(result.status != 0 && result.stdout.isEmpty, "\(command): \(result.stdout)")
            #expect(result.stderr.contains("nonces.sqlite-wal") && result.stderr.contains("is damaged at byte")
                        && result.stderr.contains("committed transactions after it")
                        && result.stderr.contains("Hint: to start over"), "\(command): \(result.stderr)")
        }
        #expect(try [database, log].map { try Data(contentsOf: URL(fileURLWithPath: $0)) } == before, "nothing was touched")
    }

    @Test("the same crash with the log whole: the next nonce is above every one printed")
    func wholeLog() throws {
        let directory = try TemporaryDirectory()
        let printed = try issueThenKill(directory.database)
        let result = try ChildProcess.nonce(["next", "--stream", "ex", "--db", directory.database])
        #expect(result.status == 0, "\(result.stderr)")
        #expect((UInt64(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) > printed.max() ?? .max)
        let verified = try ChildProcess.nonce(["verify", "--db", directory.database])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
    }
}
