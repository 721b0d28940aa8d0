import Foundation
import NonceBackend
import NonceSQLite
import NonceTestSupport
import Testing

@Suite("Key protection from the command line")
struct ProtectionCommandTests {
    @Test("--rate-max/--rate-decay keep the counter in the database across runs; --no-rate-limit skips it")
    func rateCounterAcrossRuns() throws {
        let directory = try TemporaryDirectory()
        let limit = ["--rate-max", "5", "--rate-decay", "0.0001", "--db", directory.database]
        #expect(try ChildProcess.nonce(["next", "--count", "3"] + limit).status == 0)
        #expect(try ChildProcess.nonce(["next", "--count", "1", "--cost", "2"] + limit).status == 0)
        let level = try SQLiteStore(path: directory.database).withConnection { connection in
            try connection.prepare("SELECT rate_counter FROM stream_state WHERE stream = 'default'").rows { $0.double(at: 0) }.first
        }
        #expect(level.map { abs($0 - 5) < 0.01 } == true)
        // The counter is full: only --no-rate-limit gets through without waiting.
        let skipped = try ChildProcess.nonce(["next", "--no-rate-limit"] + limit)
        #expect(skipped.status == 0)
        let invalid = try ChildProcess.nonce(["next", "--rate-max", "5"] + ["--db", directory.database])
        #expect(invalid.status != 0)
        #expect(invalid.stderr.contains("--rate-max and --rate-decay go together"))
    }

    @Test("nonce reject moves the stream on the schedule; nonce ok ends the run; stats show both")
    func rejectAndOK() throws {
        let directory = try TemporaryDirectory()
        let db = ["--db", directory.database]
        // reject and ok never create: the stream comes first.
        _ = try ChildProcess.nonce(["stream", "create", "default"] + db)
        let outputs = try (0..<3).map { _ in try ChildProcess.nonce(["reject"] + db).stdout }
        #expect(outputs[0].contains("rejections in a row: 1; no jump yet"))
        #expect(outputs[2].contains("rejections in a row: 3; jumped 10.0 seconds"))
        let stats = try ChildProcess.nonce(["stats"] + db).stdout
        #expect(stats.contains("3 in a row, 3 in total"))
        #expect(try ChildProcess.nonce(["ok"] + db).status == 0)
        #expect(try ChildProcess.nonce(["reject"] + db).stdout.contains("rejections in a row: 1;"))
    }

    @Test("stats --prometheus prints every stream in the text exposition format")
    func prometheus() throws {
        let directory = try TemporaryDirectory()
        _ = try ChildProcess.nonce(["next", "--count", "4", "--db", directory.database])
        _ = try ChildProcess.nonce(["stream", "create", "quote\"d", "--shared", "--db", directory.database])
        let result = try ChildProcess.nonce(["stats", "--prometheus", "--db", directory.database])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.lines
        #expect(lines.contains("# TYPE noncestore_issued_total counter"))
        #expect(lines.contains("noncestore_issued_total{stream=\"default\"} 4"))
        #expect(lines.contains("noncestore_issued_total{stream=\"quote\\\"d\"} 0"))
        #expect(lines.contains { $0.hasPrefix("noncestore_lead_seconds{stream=\"default\"} ") })
        // Every sample line is NAME{LABELS} VALUE with a numeric value.
        for line in lines where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            #expect(parts.count == 2 && Double(parts[1]) != nil, "\(line)")
        }
    }

    @Test("nonce prune keeps the newest rows, stats shows the sizes, and the next nonce is still above all")
    func prune() throws {
        let directory = try TemporaryDirectory()
        let db = ["--db", directory.database]
        let issued = try ChildProcess.nonce(["next", "--count", "3000"] + db).lines
        let pruned = try ChildProcess.nonce(["prune", "--keep", "10"] + db)
        #expect(pruned.status == 0, "\(pruned.stderr)")
        #expect(pruned.stdout.contains("deleted 2990 history row(s), 10 left"))
        let history = try ChildProcess.nonce(["history", "--limit", "100"] + db)
        #expect(history.lines.count == 11)  // a header and the 10 newest rows
        #expect(history.stdout.contains(issued.last ?? "-"))
        let next = try ChildProcess.nonce(["next"] + db).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(UInt64(next) ?? 0 > UInt64(issued.last ?? "") ?? .max)
        #expect(try ChildProcess.nonce(["stats"] + db).stdout.contains("database size"))
        let refused = try ChildProcess.nonce(["prune"] + db)
        #expect(refused.status != 0 && refused.stderr.contains("--older-than, --keep"))
    }
}
