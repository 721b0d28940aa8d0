import Foundation
import NonceKit
import NonceTestSupport
import Testing

/// `nonce exchanges`, `stream create --unit/--max/--exchange`, `stream set-unit`, and a
/// ceiling reached by several real processes at once.
@Suite("Stream rules on the command line")
struct StreamRulesCommandTests {
    @Test("nonce exchanges lists every preset with its family, unit, ceiling and source; --json keeps them")
    func exchanges() throws {
        let text = try ChildProcess.nonce(["exchanges"])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("bitfinex") && text.stdout.contains("9007199254740991") && text.stdout.contains("binance"))
        let json = try ChildProcess.nonce(["exchanges", "--json"])
        let list = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        let bitfinex = try #require(list.first { $0["id"] as? String == "bitfinex" })
        #expect(bitfinex["family"] as? String == "increasing" && bitfinex["unit"] as? String == "ms")
        #expect((bitfinex["max_nonce"] as? NSNumber)?.int64Value == 9_007_199_254_740_991)
        #expect(list.allSatisfy { ($0["source"] as? String)?.isEmpty == false })
        #expect(list.contains { $0["family"] as? String == "window" } && list.contains { $0["family"] as? String == "random" })
    }

    @Test("stream create takes a preset or a unit and ceiling; a window exchange is refused with the reason; list shows the rules")
    func create() throws {
        let directory = try TemporaryDirectory()
        let db = directory.database
        let made = try ChildProcess.nonce(["stream", "create", "bfx", "--exchange", "bitfinex", "--json", "--db", db])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(made.stdout.contains("\"unit\" : \"ms\"") && made.stdout.contains("\"max_nonce\" : 9007199254740991"), "\(made.stdout)")
        let refused = try ChildProcess.nonce(["stream", "create", "bn", "--exchange", "binance", "--db", db])
        #expect(refused.status != 0 && refused.stderr.contains("not a counter"), "\(refused.stderr)")
        _ = try ChildProcess.nonce(["stream", "create", "plain", "--db", db])
        let list = try ChildProcess.nonce(["stream", "list", "--json", "--db", db])
        let streams = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        let plain = try #require(streams.first { $0["stream"] as? String == "plain" })
        #expect(plain["unit"] as? String == "ns" && plain["max_nonce"] is NSNull, "every stream says its rules, null when unset")
        #expect(streams.first { $0["stream"] as? String == "bn" } == nil, "nothing was created for the refused preset")
        let soon = Int64(Date().timeIntervalSince1970) + 1_000
        _ = try ChildProcess.nonce(["stream", "create", "near", "--shared", "--unit", "s", "--max", String(soon), "--db", db])
        let metrics = try ChildProcess.nonce(["stats", "--prometheus", "--db", db]).stdout
        #expect(metrics.contains("noncestore_ceiling_near{stream=\"near\"} 1"), "\(metrics)")
        #expect(metrics.contains("noncestore_ceiling_near{stream=\"plain\"} 0"))
        #expect(metrics.contains("noncestore_unit_nanoseconds{stream=\"near\"} 1000000000"))
        #expect(metrics.contains("noncestore_max_nonce{stream=\"plain\"} 9223372036854775807"))
        let stats = try ChildProcess.nonce(["stats", "--stream", "near", "--db", db]).stdout
        #expect(stats.contains("NEAR"), "stats says the ceiling is near: \(stats)")
        let moved = try ChildProcess.nonce(["stream", "set-unit", "bfx", "us", "--db", db])
        #expect(moved.status == 0, "\(moved.stderr)")
        let down = try ChildProcess.nonce(["stream", "set-unit", "bfx", "ms", "--db", db])
        #expect(down.status != 0 && down.stderr.contains("new API key"), "\(down.stderr)")
    }

    @Test("a ceiling reached mid-run on a shared stream by three processes: nothing above it is printed, each stops with exhausted",
          arguments: TestBackend.available)
    func ceilingMidRun(backend: TestBackend) throws {
        let directory = try TemporaryDirectory()
        let database = backend.database(in: directory)
        // An hour ahead, and the floor jumped to 3 000 below it: the clock plays no part, so
        // the three share exactly floor+1 ... ceiling however slowly they start.
        let ceiling = Int64(Date().timeIntervalSince1970 * 1000) + 3_600_000
        let created = try ChildProcess.nonce(["stream", "create", "k", "--shared", "--unit", "ms", "--max", String(ceiling), "--db", database])
        #expect(created.status == 0, "\(created.stderr)")
        let by = ceiling - 3_000 - Int64(Date().timeIntervalSince1970 * 1000)
        let jumped = try ChildProcess.nonce(["jump", "--by", "\(by)ms", "--stream", "k", "--db", database])
        let floor = try #require(Int64(jumped.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), "\(jumped.stderr)")
        try #require(floor < ceiling && ceiling - floor <= 3_000, "floor \(floor), ceiling \(ceiling)")
        let children = try (0..<3).map { _ in
            try RunningChild(ChildProcess.nonce, ["next", "--count", "1000000", "--stream", "k", "--db", database])
        }
        let printed = RunningChild.outputs(of: children).map { $0.compactMap(Int64.init) }
        for child in children {
            #expect(child.process.terminationStatus != 0, "it ran into the ceiling")
            #expect(child.stderr.contains("ceiling"), "\(child.failureReport)")
        }
        let all = printed.flatMap { $0 }
        #expect(!all.isEmpty)
        #expect(all.allSatisfy { $0 <= ceiling }, "nothing above the ceiling: \(all.max() ?? 0) vs \(ceiling)")
        #expect(Set(all).count == all.count, "no nonce twice")
        #expect(Set(all) == Set((floor + 1)...ceiling), "every nonce up to the ceiling was printed")
        for nonces in printed { #expect(zip(nonces, nonces.dropFirst()).allSatisfy { $0 < $1 }) }
    }
}
