import Foundation
import NonceKit
import NonceBackend
import NonceSQLite
import NonceTestSupport
import Testing

@Suite("The nonce command")
struct CommandTests {
    @Test("next --count prints that many strictly increasing 19-digit nonces, recorded with their label")
    func nextCount() throws {
        let directory = try TemporaryDirectory()
        let result = try ChildProcess.nonce(["next", "--db", directory.database, "--count", "10000", "--label", "AddOrder"])
        #expect(result.status == 0, "\(result.stderr)")
        let nonces = result.lines.compactMap { UInt64($0) }
        #expect(nonces.count == 10_000)
        #expect(nonces.allSatisfy { String($0).count == 19 })
        #expect(zip(nonces, nonces.dropFirst()).allSatisfy { $0 < $1 })
        let store = try SQLiteStore(path: directory.database)
        let newest = try store.history(stream: "default", limit: 1).first
        #expect(newest?.nonce == nonces.last)
        #expect(newest?.label == "AddOrder")
    }

    @Test("--db defaults to $NONCE_DB, then ./nonces.sqlite")
    func databaseDefault() throws {
        let directory = try TemporaryDirectory()
        var environment = ProcessInfo.processInfo.environment
        environment["NONCE_DB"] = directory.path("from-env.sqlite")
        #expect(try ChildProcess.nonce(["next"], environment: environment).status == 0)
        #expect(FileManager.default.fileExists(atPath: directory.path("from-env.sqlite")))
        environment["NONCE_DB"] = nil
        #expect(try ChildProcess.nonce(["next"], environment: environment, currentDirectory: directory.url).status == 0)
        #expect(FileManager.default.fileExists(atPath: directory.path("nonces.sqlite")))
    }

    @Test("stats, history and verify report what was issued")
    func readingCommands() throws {
        let directory = try TemporaryDirectory()
        let db = ["--db", directory.database, "--stream", "kraken"]
        let issued = try ChildProcess.nonce(["next", "--count", "5"] + db).lines
        let stats = try ChildProcess.nonce(["stats", "--json"] + db)
        #expect(stats.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any]
        #expect(object?["issued_total"] as? Int == 5)
        #expect((object?["last_issued"] as? NSNumber)?.stringValue == issued.last)
        let history = try ChildProcess.nonce(["history", "--limit", "2", "--json"] + db)
        let rows = try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [[String: Any]]
        #expect(rows?.count == 2)
        #expect((rows?.first?["nonce"] as? NSNumber)?.stringValue == issued.last)
        let verify = try ChildProcess.nonce(["verify"] + db)
        #expect(verify.status == 0)
        #expect(verify.stdout.hasPrefix("ok"))
    }

    @Test("verify exits non-zero with a report on a tampered history")
    func verifyTampered() throws {
        let directory = try TemporaryDirectory()
        _ = try ChildProcess.nonce(["next", "--count", "3", "--db", directory.database])
        try SQLiteStore(path: directory.database).withConnection { connection in
            try connection.execute("UPDATE history SET nonce = nonce - 1000000000 WHERE id = (SELECT max(id) FROM history)")
        }
        let verify = try ChildProcess.nonce(["verify", "--db", directory.database])
        #expect(verify.status == 1)
        #expect(verify.stdout.contains("not strictly increasing"))
    }

    @Test("jump moves the floor durably; the next nonce is above it")
    func jump() throws {
        let directory = try TemporaryDirectory()
        _ = try ChildProcess.nonce(["stream", "create", "default", "--db", directory.database])
        let jumped = try ChildProcess.nonce(["jump", "--by", "2h", "--db", directory.database])
        #expect(jumped.status == 0, "\(jumped.stderr)")
        let floor = try #require(UInt64(jumped.lines.first ?? ""))
        #expect(Int64(floor) > SystemClock().now() + 7_000_000_000_000)
        let next = try #require(UInt64(try ChildProcess.nonce(["next", "--db", directory.database]).lines.first ?? ""))
        #expect(next > floor)
        let events = try SQLiteStore(path: directory.database).events(stream: "default", limit: 5)
        #expect(events.first?.kind == "jump")
    }

    @Test("bad input: a clear message on stderr, a non-zero status, no stack trace")
    func userErrors() throws {
        let directory = try TemporaryDirectory()
        try Data("not a database".utf8).write(to: URL(fileURLWithPath: directory.database))
        let foreign = try ChildProcess.nonce(["next", "--db", directory.database])
        #expect(foreign.status != 0)
        #expect(foreign.stderr.contains("is not a NonceStore database"))
        #expect(!foreign.stderr.contains("Fatal error"))
        #expect(foreign.stdout.isEmpty)
        let badDuration = try ChildProcess.nonce(["jump", "--by", "soon", "--db", directory.path("x.sqlite")])
        #expect(badDuration.status != 0)
        #expect(badDuration.stderr.contains("--by"))
        let missing = try ChildProcess.nonce(["stats", "--db", directory.path("typo.sqlite")])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("typo.sqlite': no such file"))
        #expect(!FileManager.default.fileExists(atPath: directory.path("typo.sqlite")))
        _ = try ChildProcess.nonce(["next", "--db", directory.path("y.sqlite")])
        let unknown = try ChildProcess.nonce(["history", "--stream", "nope", "--db", directory.path("y.sqlite")])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("no stream named 'nope'"))
    }

    @Test("processes creating the same database at the same moment all succeed")
    func concurrentCreation() throws {
        // Rounds, because the race this guards (a fresh file read as another application's
        // while a peer's first migration commits) shows only in a small share of them.
        let directory = try TemporaryDirectory()
        for round in 0..<20 {
            let database = directory.path("round\(round).sqlite")
            let results = try (0..<4).map { index in
                try RunningChild(ChildProcess.nonce, ["next", "--db", database, "--stream", "s\(index)"])
            }.map { child -> [String] in
                child.process.waitUntilExit()
                #expect(child.process.terminationStatus == 0, "round \(round)")
                return child.remainingLines()
            }
            #expect(results.allSatisfy { $0.count == 1 })
            #expect(try SQLiteStore(path: database).streams().count == 4)
        }
    }

    @Test("a newer-schema database is refused by the command and left byte-identical")
    func newerSchema() throws {
        let directory = try TemporaryDirectory()
        _ = try ChildProcess.nonce(["next", "--db", directory.database])
        try SQLiteStore(path: directory.database).withConnection { try $0.execute("PRAGMA user_version = 42") }
        let before = try Data(contentsOf: directory.url.appendingPathComponent("nonces.sqlite"))
        for command in [["next"], ["stats"], ["verify"], ["history"], ["jump", "--by", "1s"]] {
            let result = try ChildProcess.nonce(command + ["--db", directory.database])
            #expect(result.status != 0)
            #expect(result.stderr.contains("schema version 42"))
        }
        #expect(try Data(contentsOf: directory.url.appendingPathComponent("nonces.sqlite")) == before)
    }
}
