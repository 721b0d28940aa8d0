import Foundation
import NonceKit
import NonceBackend
import NonceSQLite
import NonceTestSupport
import Testing

/// The `nonce` command behaves as git, sqlite3 or kubectl users expect.
@Suite("CLI conventions")
struct CLIConventionTests {
    @Test("--db, --stream and --wait work before the subcommand as after it")
    func globalOptionsFirst() throws {
        let directory = try TemporaryDirectory()
        let before = try ChildProcess.nonce(["--db", directory.database, "--stream", "k", "next"])
        #expect(before.status == 0, "\(before.stderr)")
        let after = try ChildProcess.nonce(["next", "--db", directory.database, "--stream", "k"])
        #expect(after.status == 0, "\(after.stderr)")
        #expect(try #require(UInt64(after.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
            > (try #require(UInt64(before.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))))
        let nested = try ChildProcess.nonce(["--db=\(directory.database)", "--wait", "2s", "stream", "create", "s", "--shared"])
        #expect(nested.status == 0, "\(nested.stderr)")
        let exec = try ChildProcess.nonce(["--db", directory.database, "--stream", "s", "exec", "--", "sh", "-c", "test -n \"$NONCE\""])
        #expect(exec.status == 0, "\(exec.stderr)")
    }

    @Test("$NONCE_STREAM names the stream, as nonce exec sets it for its command")
    func streamFromEnvironment() throws {
        let directory = try TemporaryDirectory()
        _ = try ChildProcess.nonce(["stream", "create", "kraken", "--shared", "--db", directory.database])
        let exec = try ChildProcess.nonce(["exec", "--stream", "kraken", "--db", directory.database, "--", ChildProcess.nonce.path,
                                           "reject", "--db", directory.database])
        #expect(exec.status == 0, "\(exec.stderr)")
        let store = try SQLiteStore(path: directory.database)
        #expect(try store.stream(named: "kraken")?.rejectionsTotal == 1)
        #expect(try store.stream(named: "default") == nil)
    }

    @Test("commands that are not for creating refuse a missing database or stream, creating nothing",
          arguments: [["jump", "--by", "5s"], ["reject"], ["ok"], ["prune", "--keep", "1"], ["stream", "set-mode", "typo", "shared"],
                      ["timeline", "--json"]])
    func neverCreateByAccident(command: [String]) throws {
        let directory = try TemporaryDirectory()
        let missing = try ChildProcess.nonce(command + ["--db", directory.database] + (command[0] == "stream" ? [] : ["--stream", "typo"]))
        #expect(missing.status != 0)
        #expect(!FileManager.default.fileExists(atPath: directory.database))
        _ = try ChildProcess.nonce(["stream", "create", "real", "--db", directory.database])
        let typo = try ChildProcess.nonce(command + ["--db", directory.database] + (command[0] == "stream" ? [] : ["--stream", "typo"]))
        #expect(typo.status != 0)
        #expect(typo.stderr.contains("typo"), "\(typo.stderr)")
        #expect(try SQLiteStore(path: directory.database).stream(named: "typo") == nil)
    }

    @Test("verify without --stream checks every stream")
    func verifyEveryStream() throws {
        let directory = try TemporaryDirectory()
        _ = try ChildProcess.nonce(["next", "--stream", "a", "--db", directory.database])
        _ = try ChildProcess.nonce(["next", "--stream", "b", "--db", directory.database])
        let result = try ChildProcess.nonce(["verify", "--db", directory.database])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("2 stream(s)"), "\(result.stdout)")
    }

    @Test("bad numbers and durations get errors that say what is wrong",
          arguments: [
              (["next", "--count", "-1"], "--count must be a positive"),
              (["next", "--count", "0"], "--count must be a positive"),
              (["next", "--lease", "0s"], "between 1ms and 1h"),
              (["next", "--lease", "1000d"], "between 1ms and 1h"),
              (["next", "--cost", "-2"], "--cost must be a positive"),
              (["jump", "--by", "-5s"], "--by must be a positive"),
              (["prune", "--keep", "-3"], "--keep must be"),
              (["stats", "--json", "--prometheus"], "give one"),
              (["stats", "--prometheus", "--stream", "nope"], "every stream"),
          ])
    func clearErrors(arguments: [String], message: String) throws {
        let directory = try TemporaryDirectory()
        _ = try ChildProcess.nonce(["next", "--db", directory.database])
        let result = try ChildProcess.nonce(arguments + ["--db", directory.database])
        #expect(result.status != 0)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test("durations as people type them: 1.5s, 1h30m, 250us, 2d")
    func durationForms() throws {
        let directory = try TemporaryDirectory()
        _ = try ChildProcess.nonce(["stream", "create", "default", "--db", directory.database])
        let floors = try ["1.5s", "1h30m", "250us", "2d"].map { form -> Int64 in
            let result = try ChildProcess.nonce(["jump", "--by", form, "--db", directory.database])
            #expect(result.status == 0, "\(form): \(result.stderr)")
            return try #require(Int64(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        #expect(zip(floors, floors.dropFirst()).allSatisfy { $0 < $1 })
        let bad = try ChildProcess.nonce(["jump", "--by", "5 parsecs", "--db", directory.database])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("1h30m"), "the accepted forms are listed: \(bad.stderr)")
    }

    @Test("--db naming a directory says so; --version names NonceStore and SQLite")
    func directoryAndVersion() throws {
        let directory = try TemporaryDirectory()
        let result = try ChildProcess.nonce(["next", "--db", directory.url.path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("is a directory"), "\(result.stderr)")
        let version = try ChildProcess.nonce(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.contains("SQLite 3."), "\(version.stdout)")
    }

    @Test("a mistyped subcommand is named, with the nearest one; help for a missing one is an error")
    func mistypedSubcommand() throws {
        let typo = try ChildProcess.nonce(["nxt", "--db", "x.sqlite"])
        #expect(typo.status != 0)
        #expect(typo.stderr.contains("no subcommand 'nxt' (did you mean 'next'?)"), "\(typo.stderr)")
        let help = try ChildProcess.nonce(["help", "nosuch"])
        #expect(help.status != 0)
        #expect(help.stderr.contains("no subcommand 'nosuch'"), "\(help.stderr)")
    }

    @Test("import-legacy: an 18-digit value is python-kraken-sdk's 10 ns unit; a dry run that would be refused exits non-zero")
    func importChecks() throws {
        let directory = try TemporaryDirectory()
        let value = String(SystemClock().now() / 10 - 100_000_000)   // 1 s ago, in 10 ns units
        let sdk = try ChildProcess.nonce(["import-legacy", "--value", value, "--dry-run", "--db", directory.database])
        #expect(sdk.status == 0, "\(sdk.stderr)")
        #expect(sdk.stdout.contains("python-kraken-sdk"), "\(sdk.stdout)")
        let refused = try ChildProcess.nonce(["import-legacy", "--value", "12345", "--dry-run", "--db", directory.database])
        #expect(refused.status != 0, "\(refused.stdout)")
        #expect(!FileManager.default.fileExists(atPath: directory.database))
    }

    @Test("one line per message: reject prints its jump once, with no log line repeating it")
    func oneLinePerMessage() throws {
        let directory = try TemporaryDirectory()
        _ = try ChildProcess.nonce(["stream", "create", "default", "--db", directory.database])
        let results = try (0..<3).map { _ in try ChildProcess.nonce(["reject", "--db", directory.database]) }
        #expect(results[2].stdout.contains("jumped 10.0 seconds"), "\(results[2].stdout)")
        #expect(results.allSatisfy { $0.stderr.isEmpty }, "\(results.map(\.stderr))")
    }

    @Test("nonce manual writes the man page with every command, keeping the µ of µs")
    func manualPage() throws {
        let page = try ChildProcess.nonce(["manual"])
        #expect(page.status == 0, "\(page.stderr)")
        #expect(page.stdout.hasPrefix(".Dd "))
        #expect(page.stdout.contains("ms, \\[u00B5]s, ns"), "µ written as a groff escape, not dropped")
        #expect(!page.stdout.contains("ms, s, ns"))
        for command in ["next", "stats", "history", "timeline", "jump", "verify", "import-legacy", "\"stream create\"", "exec", "reject",
                        "ok"] {
            #expect(page.stdout.contains(".Ss \(command)\n"), "section for \(command)")
        }
        #expect(!page.stdout.contains("bench-memory-run"), "hidden commands stay hidden")
    }

    @Test("stats --prometheus prints 19-digit nonces exactly")
    func prometheusExact() throws {
        let directory = try TemporaryDirectory()
        let next = try ChildProcess.nonce(["next", "--db", directory.database])
        let nonce = next.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let metrics = try ChildProcess.nonce(["stats", "--prometheus", "--db", directory.database])
        #expect(metrics.stdout.contains("noncestore_last_issued{stream=\"default\"} \(nonce)\n"), "\(metrics.stdout)")
    }
}

@Suite("CLI JSON")
struct CLIJSONTests {
    static func object(_ result: ChildProcess.Result) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stderr)")
    }

    @Test("--json on every command that prints a result: snake_case keys, absent values as null")
    func everyCommand() throws {
        let directory = try TemporaryDirectory()
        let db = ["--db", directory.database, "--stream", "k"]
        let created = try Self.object(try ChildProcess.nonce(["stream", "create", "k", "--json", "--db", directory.database]))
        #expect(created["created"] as? Bool == true && created["mode"] as? String == "exclusive")
        let next = try Self.object(try ChildProcess.nonce(["next", "--count", "3", "--json"] + db))
        #expect((next["nonces"] as? [NSNumber])?.count == 3)
        let rejected = try Self.object(try ChildProcess.nonce(["reject", "--json"] + db))
        #expect(rejected["rejections_in_a_row"] as? Int == 1)
        #expect(rejected["floor"] is NSNull, "no jump yet: null, not a missing key")
        let ok = try Self.object(try ChildProcess.nonce(["ok", "--json"] + db))
        #expect(ok["rejections_in_a_row"] as? Int == 0)
        let jumped = try Self.object(try ChildProcess.nonce(["jump", "--by", "1s", "--json"] + db))
        #expect((jumped["floor"] as? NSNumber)?.int64Value ?? 0 > 0)
        let switched = try Self.object(try ChildProcess.nonce(["stream", "set-mode", "k", "shared", "--json", "--db", directory.database]))
        #expect(switched["changed"] as? Bool == true)
        let stats = try Self.object(try ChildProcess.nonce(["stats", "--json"] + db))
        #expect(stats["issued_total"] as? Int == 3)
        #expect(stats["holder_pid"] is NSNull)
        #expect(stats.keys.allSatisfy { $0 == $0.lowercased() })
        let history = try #require(try JSONSerialization.jsonObject(
            with: Data(try ChildProcess.nonce(["history", "--json"] + db).stdout.utf8)) as? [[String: Any]])
        #expect(history.first?["label"] is NSNull)
        #expect(history.first?["issued_at"] is NSNumber)
    }

    @Test("reports write absent values as null: import-legacy, verify, bench")
    func reportsWriteNull() throws {
        let directory = try TemporaryDirectory()
        let value = String(SystemClock().now() / 1_000_000 - 1_000)
        let dryRun = try Self.object(try ChildProcess.nonce(["import-legacy", "--value", value, "--dry-run", "--json",
                                                             "--db", directory.database]))
        #expect(dryRun["import_id"] is NSNull, "a dry run writes nothing, so no import id: \(dryRun)")
        let file = try #require((dryRun["files"] as? [[String: Any]])?.first)
        #expect(file["sha256"] is NSNull && file["size"] is NSNull, "a command-line value has no file: \(file)")
        #expect(file["lead_nanoseconds"] is NSNull)

        _ = try ChildProcess.nonce(["next", "--db", directory.database])
        try SQLiteStore(path: directory.database).withConnection {
            try $0.execute("UPDATE streams SET last_issued = high_water_mark + 1")
        }
        let verify = try Self.object(try ChildProcess.nonce(["verify", "--json", "--db", directory.database]))
        let problem = try #require((verify["problems"] as? [[String: Any]])?.first)
        #expect(problem["stream"] as? String == "default")

        let bench = try Self.object(try ChildProcess.nonce(["bench", "--only", "issuing", "--count", "1000", "--json"]))
        #expect(bench["restart"] is NSNull && bench["memory"] is NSNull, "parts left out with --only: \(bench)")
        let baseline = try #require((bench["results"] as? [[String: Any]])?.first)
        #expect(baseline["ratio_to_baseline"] is NSNull && baseline["baseline"] is NSNull)
    }
}
