import Foundation
import NonceBackend
import NonceSQLite
import NonceTestSupport
import Testing

@Suite("nonce import-legacy")
struct ImportLegacyCommandTests {
    /// An old bot directory whose global nonce file is `lead` ahead of the real clock.
    static func bot(_ directory: TemporaryDirectory, lead: Duration) throws -> (root: String, value: UInt64) {
        let root = directory.path("bot")
        try FileManager.default.createDirectory(atPath: root + "/data", withIntermediateDirectories: true)
        let value = UInt64(Date().timeIntervalSince1970 * 1e9) + UInt64(lead.components.seconds) * 1_000_000_000
        try String(value).write(toFile: root + "/data/kraken_global_nonce.txt", atomically: false, encoding: .utf8)
        try String(value / 1_000_000 - 60_000).write(toFile: root + "/data/kraken_nonce_master.txt", atomically: false, encoding: .utf8)
        try "".write(toFile: root + "/data/kraken_global_nonce.txt.lock", atomically: false, encoding: .utf8)
        return (root, value)
    }

    @Test("after importing a maximum ahead of the clock, nonce next prints a larger value")
    func nextAboveImportedFloor() throws {
        let directory = try TemporaryDirectory()
        let bot = try Self.bot(directory, lead: .seconds(1_800))
        let imported = try ChildProcess.nonce(["import-legacy", bot.root, "--db", directory.database])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("floor raised: 0 -> \(bot.value)"))
        let next = try ChildProcess.nonce(["next", "--db", directory.database])
        #expect(try #require(UInt64(next.stdout.trimmingCharacters(in: .whitespacesAndNewlines))) > bot.value)
        let again = try ChildProcess.nonce(["import-legacy", bot.root, "--db", directory.database])
        #expect(again.status == 0)
        #expect(again.stdout.contains("nothing to do"))
    }

    @Test("a nonce file's path that is a directory is reported as suspect, with a non-zero exit")
    func directoryUnderANonceName() throws {
        let directory = try TemporaryDirectory()
        let planted = directory.path("kraken_nonce.txt")
        try FileManager.default.createDirectory(atPath: planted, withIntermediateDirectories: true)
        let result = try ChildProcess.nonce(["import-legacy", planted, "--db", directory.database])
        #expect(result.status != 0)
        #expect(!result.stdout.contains("nothing to do"), "\(result.stdout)")
        #expect((result.stdout + result.stderr).contains("kraken_nonce.txt") && (result.stdout + result.stderr).contains("directory"),
                "\(result.stdout)\n\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.database), "nothing was created")
    }

    @Test("--json prints the report: every file, the units, the floor before and after")
    func json() throws {
        let directory = try TemporaryDirectory()
        let bot = try Self.bot(directory, lead: .seconds(60))
        let result = try ChildProcess.nonce(["import-legacy", bot.root, "--db", directory.database, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let files = try #require(report["files"] as? [[String: Any]])
        #expect(files.map { $0["format"] as? String } == ["global-text", "lock-file", "account-text"])
        #expect(files.map { $0["unit"] as? String } == ["ns", nil, "ms"])
        #expect((report["floor_after"] as? NSNumber)?.uint64Value == bot.value)
        #expect((report["floor_before"] as? NSNumber)?.int64Value == 0)
        #expect(report["outcome"] as? String == "raised")
    }

    @Test("a dry run prints what it would do and creates no database")
    func dryRun() throws {
        let directory = try TemporaryDirectory()
        let bot = try Self.bot(directory, lead: .seconds(60))
        let result = try ChildProcess.nonce(["import-legacy", bot.root, "--db", directory.database, "--dry-run"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("dry run"))
        #expect(result.stdout.contains("floor would rise: 0 -> \(bot.value)"))
        #expect(!FileManager.default.fileExists(atPath: directory.database))
    }

    @Test("a suspect value fails the command, names the file, and creates nothing")
    func rejected() throws {
        let directory = try TemporaryDirectory()
        let bot = try Self.bot(directory, lead: .seconds(60))
        let bad = bot.root + "/data/kraken_nonce_user9.txt"
        try "1764000000000000000000".write(toFile: bad, atomically: false, encoding: .utf8)
        let result = try ChildProcess.nonce(["import-legacy", bot.root, "--db", directory.database])
        #expect(result.status != 0)
        #expect(result.stderr.contains(bad))
        #expect(result.stderr.contains("2^64"))
        #expect(!FileManager.default.fileExists(atPath: directory.database))
        let skipped = try ChildProcess.nonce(["import-legacy", bot.root, "--db", directory.database, "--skip-invalid"])
        #expect(skipped.status == 0, "\(skipped.stderr)")
        #expect(skipped.stdout.contains("skipped"))
    }

    @Test("a stream a live process holds is refused until that process stops")
    func heldByAnotherProcess() throws {
        let directory = try TemporaryDirectory()
        let bot = try Self.bot(directory, lead: .seconds(60))
        let holder = try RunningChild(ChildProcess.helper, ["hold", directory.database, "default"])
        _ = holder.readLine()
        let refused = try ChildProcess.nonce(["import-legacy", bot.root, "--db", directory.database])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("held by process \(holder.pid)"))
        #expect(try SQLiteStore(path: directory.database).stream(named: "default")?.floor ?? 0 < Int64(bot.value))
        holder.kill()
        let imported = try ChildProcess.nonce(["import-legacy", bot.root, "--db", directory.database])
        #expect(imported.status == 0, "\(imported.stderr)")
    }

    @Test("an unreadable data/ is named in the report; with --skip-invalid the import goes on without it",
          .enabled(if: Unprivileged.isAvailable))
    func unreadableData() throws {
        let directory = try TemporaryDirectory()
        let bot = try Self.bot(directory, lead: .zero)
        try String(bot.value / 1_000_000).write(toFile: bot.root + "/kraken_nonce.txt", atomically: false, encoding: .utf8)
        // Everything readable by the unprivileged user but data/ itself.
        for path in [directory.url.path, bot.root] { chmod(path, 0o755) }
        chmod(bot.root + "/kraken_nonce.txt", 0o644)
        chmod(bot.root + "/data", 0o000)
        defer { chmod(bot.root + "/data", 0o755) }
        let database = directory.path("never-created.sqlite")

        let stopped = try Unprivileged.nonce(["import-legacy", bot.root, "--dry-run", "--json", "--db", database])
        #expect(stopped.status != 0)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(stopped.stdout.utf8)) as? [String: Any], "\(stopped.stderr)")
        let files = try #require(report["files"] as? [[String: Any]])
        let data = try #require(files.first { $0["path"] as? String == bot.root + "/data" }, "\(files)")
        #expect(data["status"] as? String == "rejected")
        #expect((data["reason"] as? String)?.contains("cannot be listed") == true, "\(data)")

        let skipped = try Unprivileged.nonce(["import-legacy", bot.root, "--dry-run", "--skip-invalid", "--json", "--db", database])
        #expect(skipped.status == 0, "\(skipped.stderr)")
        let goneOn = try #require(try JSONSerialization.jsonObject(with: Data(skipped.stdout.utf8)) as? [String: Any])
        #expect((goneOn["floor_after"] as? NSNumber)?.int64Value ?? 0 > 0, "the file outside data/ still counts")
        #expect(!FileManager.default.fileExists(atPath: database))
    }
}
