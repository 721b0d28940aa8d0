import Foundation
import NonceBackend
@testable import NonceKit
import NonceMigration
#if PostgreSQL
import NoncePostgres
#endif
import NonceSQLite
import NonceTestSupport
import Testing

/// A stream's unit, ceiling and exchange preset, on every backend.
@Suite("Stream rules: unit, ceiling, exchange presets")
struct StreamRulesTests {
    static func msNow() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    @Test("a ms stream issues max(now in ms, last + 1) in both modes; a restart and a 60 s jump keep the meaning",
          arguments: TestBackend.available, StreamMode.allCases)
    func milliseconds(backend: TestBackend, mode: StreamMode) throws {
        let directory = try TemporaryDirectory()
        let database = backend.database(in: directory)
        let before = Self.msNow()
        var configuration = NonceManager.Configuration(stream: "k", mode: mode)
        configuration.unit = .milliseconds
        let manager = try NonceManager(database: database, configuration: configuration)
        let issued = try (0..<50).map { _ in Int64(try manager.next()) }
        #expect(zip(issued, issued.dropFirst()).allSatisfy { $0 < $1 })
        #expect(issued[0] >= before && issued[0] < Self.msNow() + 5_000, "13 digits, near the clock: \(issued[0])")
        let floor = Int64(try manager.jump(by: .seconds(60)))
        #expect(floor >= (issued.last ?? 0) + 60_000 && floor < Self.msNow() + 61_000 + 5_000, "60 s is 60,000 ms")
        #expect(Int64(try manager.next()) > floor)
        #expect(manager.rules.unit == .milliseconds)
        try manager.close()
        let again = try NonceManager(database: database, configuration: .init(stream: "k"))
        defer { try? again.close() }
        #expect(Int64(try again.next()) > floor, "a restart continues above, in ms")
        let stats = try NonceInspector(database: database).stats(of: "k")
        #expect(stats.unit == .milliseconds && stats.maxNonce == nil)
        #expect(abs(stats.leadOverClockNanoseconds) < 120_000_000_000, "the lead is time, not steps: \(stats.leadOverClockNanoseconds)")
    }

    @Test("a ceiling is never passed: the stream issues up to it, then refuses with exhausted naming it",
          arguments: TestBackend.available, StreamMode.allCases)
    func ceiling(backend: TestBackend, mode: StreamMode) throws {
        let directory = try TemporaryDirectory()
        let database = backend.database(in: directory)
        // An hour ahead, and the floor jumped to a thousand below it: the clock plays no part,
        // so the stream issues exactly floor+1 ... ceiling however loaded the machine is.
        let ceiling = Self.msNow() + 3_600_000
        var configuration = NonceManager.Configuration(stream: "k", mode: mode)
        configuration.unit = .milliseconds
        configuration.maxNonce = ceiling
        let manager = try NonceManager(database: database, configuration: configuration)
        defer { try? manager.close() }
        let floor = Int64(try manager.jump(by: .milliseconds(ceiling - 1_000 - Self.msNow()), reason: "near the ceiling"))
        try #require(floor < ceiling && ceiling - floor <= 1_000, "floor \(floor), ceiling \(ceiling)")
        var issued: [Int64] = []
        var refusal: NonceStoreError?
        while refusal == nil && issued.count < 20_000 {
            do { issued.append(Int64(try manager.next())) } catch { refusal = error }
        }
        #expect(refusal?.code == .exhausted)
        #expect(refusal?.message.contains(String(ceiling)) == true || refusal?.message.contains("ceiling") == true, "\(String(describing: refusal))")
        #expect(issued == Array((floor + 1)...ceiling), "every nonce up to the ceiling, once, and none above: \(issued.prefix(3))...\(issued.suffix(3))")
        let record = try #require(try BackendOpener.open(database).stream(named: "k"))
        #expect(record.highWaterMark <= ceiling, "no lease reaches past the ceiling")
        #expect(manager.stats().isCeilingNear)
        #expect(try NonceInspector(database: database).events(of: "k", limit: 50).contains { $0.kind == "ceiling_near" },
                "opening a stream near its ceiling records it")
    }

    @Test("a manager refuses a stream whose rules differ from its configuration's", arguments: TestBackend.available)
    func rulesMismatch(backend: TestBackend) throws {
        let directory = try TemporaryDirectory()
        let database = backend.database(in: directory)
        try NonceManager(database: database, configuration: .init(stream: "k")).close()
        var configuration = NonceManager.Configuration(stream: "k")
        configuration.unit = .milliseconds
        let error = #expect(throws: NonceStoreError.self) { try NonceManager(database: database, configuration: configuration) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("issues in ns") == true, "\(error?.message ?? "")")
    }

    @Test("set-unit moves only to a finer unit, the floor multiplied and recorded", arguments: TestBackend.available)
    func setUnit(backend: TestBackend) throws {
        let directory = try TemporaryDirectory()
        let admin = try NonceDatabase(backend.database(in: directory))
        try admin.createStream("k", mode: .shared, rules: StreamRules(unit: .milliseconds))
        let manager = try NonceManager(database: admin, configuration: .init(stream: "k"))
        let last = Int64(try manager.next())
        try manager.close()
        #expect(try admin.setUnit(.microseconds, of: "k"))
        #expect(try admin.rules(of: "k")?.unit == .microseconds)
        let after = try NonceManager(database: admin, configuration: .init(stream: "k"))
        #expect(Int64(try after.next()) > last * 1_000)
        try after.close()
        let back = #expect(throws: NonceStoreError.self) { try admin.setUnit(.milliseconds, of: "k") }
        #expect(back?.code == .invalidArgument)
        #expect(back?.message.contains("a new API key and a new stream") == true)
        #expect(try admin.inspector.events(of: "k", limit: 10).contains { $0.kind == "unit" })
    }

    @Test("exchange presets: bitfinex is ms under 2^53 - 1; window and random exchanges are refused with the reason")
    func presets() throws {
        let bitfinex = try ExchangePreset.counting("bitfinex")
        #expect(bitfinex.unit == .milliseconds && bitfinex.maxNonce == 9_007_199_254_740_991)
        #expect(ExchangePreset.all.count >= 20, "the list is compiled in")
        #expect(ExchangePreset.all.filter { $0.family == .increasing }.allSatisfy { $0.unit != nil && !$0.source.isEmpty })
        for (id, words) in [("binance", "not a counter"), ("coinbase", "nothing to count"), ("nosuch", "no exchange preset")] {
            let error = #expect(throws: NonceStoreError.self) { try ExchangePreset.counting(id) }
            #expect(error?.code == .invalidArgument && error?.message.contains(words) == true, "\(id): \(error?.message ?? "")")
        }
        var configuration = NonceManager.Configuration(stream: "k")
        configuration.exchange = "gemini"
        #expect(try configuration.streamRules() == StreamRules(unit: .milliseconds, exchange: "gemini"))
    }

    @Test("a legacy import into a ms stream converts the floor, rounding up", arguments: TestBackend.available)
    func importIntoMilliseconds(backend: TestBackend) throws {
        let directory = try TemporaryDirectory()
        let admin = try NonceDatabase(backend.database(in: directory))
        try admin.createStream("k", rules: StreamRules(unit: .milliseconds))
        // Nanoseconds an hour ahead, one past a millisecond boundary.
        let value = Self.msNow() * 1_000_000 + 3_600_000_000_000 + 1
        let plan = try LegacyImportPlan(paths: [], values: [String(value)], options: .init(stream: "k"))
        let report = try plan.apply(to: admin)
        #expect(report.unit == .milliseconds)
        #expect(report.floorAfter == UInt64(value / 1_000_000 + 1), "rounded up: still covers the value")
    }

    @Test("a copy keeps the rules; a destination of a coarser unit is refused", arguments: TestBackend.available)
    func copyKeepsRules(backend: TestBackend) throws {
        let directory = try TemporaryDirectory()
        let source = try NonceDatabase(backend.database(in: directory))
        try source.createStream("k", mode: .shared, rules: StreamRules(unit: .microseconds, maxNonce: 9_007_199_254_740_991))
        let manager = try NonceManager(database: source, configuration: .init(stream: "k"))
        let last = try manager.next()
        try manager.close()
        let copy = try NonceDatabase(directory.url.appendingPathComponent("copy.sqlite").path)
        _ = try source.copyStreams(to: copy)
        #expect(try copy.rules(of: "k") == StreamRules(unit: .microseconds, maxNonce: 9_007_199_254_740_991))
        let coarse = try NonceDatabase(directory.url.appendingPathComponent("coarse.sqlite").path)
        try coarse.createStream("k", mode: .shared, rules: StreamRules(unit: .milliseconds))
        let refused = #expect(throws: NonceStoreError.self) { try source.copyStreams(to: coarse) }
        #expect(refused?.code == .invalidArgument)
        let copied = try NonceManager(database: copy, configuration: .init(stream: "k"))
        defer { try? copied.close() }
        #expect(try copied.next() > last)
    }
}

/// The SQL contract other languages call issues in the stream's unit: `requested_at` stays
/// nanoseconds, the nonce is in the unit, a jump's nanoseconds become steps.
@Suite("The SQL contract in a stream's unit")
struct StreamRulesContractTests {
    @Test("SQLite: nonce_requests issues requested_at / 1e6 on a ms stream; nonce_jumps moves 60 s as 60,000")
    func sqlite() throws {
        let directory = try TemporaryDirectory()
        try NonceDatabase(directory.database).createStream("k", mode: .shared, rules: StreamRules(unit: .milliseconds, maxNonce: 9_007_199_254_740_991))
        let store = try SQLiteStore(path: directory.database)
        let now = WallClock.nanoseconds()
        let (first, jumped, after, view) = try store.withConnection { connection in
            try connection.execute("INSERT INTO nonce_requests (stream, requested_at) VALUES ('k', \(now))")
            let first = try connection.scalarInt64("SELECT last_issued FROM streams WHERE name = 'k'") ?? 0
            try connection.execute("INSERT INTO nonce_jumps (stream, by_ns, requested_at) VALUES ('k', 60000000000, \(now))")
            let jumped = try connection.scalarInt64("SELECT high_water_mark FROM streams WHERE name = 'k'") ?? 0
            try connection.execute("INSERT INTO nonce_requests (stream, requested_at) VALUES ('k', \(now))")
            let after = try connection.scalarInt64("SELECT last_issued FROM streams WHERE name = 'k'") ?? 0
            let view = try connection.scalarInt64("SELECT max_nonce FROM stream_state WHERE stream = 'k' AND unit = 'ms'") ?? 0
            return (first, jumped, after, view)
        }
        #expect(first == now / 1_000_000)
        #expect(jumped == first + 60_000)
        #expect(after == jumped + 1)
        #expect(view == 9_007_199_254_740_991, "stream_state shows unit and max_nonce")
    }

    #if PostgreSQL
    @Test("PostgreSQL: nonce_next issues the server's clock in ms; nonce_jump moves 60 s as 60,000; the ceiling refuses",
          .enabled(if: TestBackend.postgresURI != nil))
    func postgres() throws {
        let uri = TestBackend.freshSchema()
        let ceiling = Int64(Date().timeIntervalSince1970 * 1000) + 3_600_000
        try NonceDatabase(uri).createStream("k", mode: .shared, rules: StreamRules(unit: .milliseconds, maxNonce: ceiling))
        let store = try PostgresStore(uri: uri)
        let before = Int64(Date().timeIntervalSince1970 * 1000)
        let first = try #require(try store.integer(sql: "SELECT nonce_next('k')"))
        #expect(first >= before - 1_000 && first < before + 5_000, "13 digits from the server's clock: \(first)")
        let jumped = try #require(try store.integer(sql: "SELECT nonce_jump('k', 60000000000, 'test')"))
        #expect(jumped >= first + 60_000 && jumped < first + 65_000)
        #expect(try store.integer(sql: "SELECT max_nonce FROM stream_state WHERE stream = 'k' AND unit = 'ms'") == ceiling)
        #expect(throws: NonceStoreError.self, "a jump past the ceiling is refused") {
            _ = try store.integer(sql: "SELECT nonce_jump('k', 7200000000000, 'past the ceiling')")
        }
    }
    #endif
}

/// The exchange table of the article Exchanges is the preset list, row for row.
@Suite("The documented exchange table")
struct ExchangeTableTests {
    @Test("every increasing-nonce preset is a row with its unit, ceiling and source; nothing else is")
    func sameRows() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let article = try String(contentsOf: root.appendingPathComponent("Sources/NonceKit/NonceKit.docc/Exchanges.md"), encoding: .utf8)
        let table = try #require(article.components(separatedBy: "<!-- exchange-presets -->").dropFirst().first?
            .components(separatedBy: "<!-- /exchange-presets -->").first)
        let rows = table.split(separator: "\n").filter { $0.hasPrefix("| `") }.map { line in
            line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        let presets = ExchangePreset.all.filter { $0.family == .increasing }
        #expect(rows.map { $0[0].trimmingCharacters(in: CharacterSet(charactersIn: "`")) } == presets.map(\.id))
        for (row, preset) in zip(rows, presets) {
            #expect(row[1] == preset.unit?.rawValue)
            #expect(row[2] == (preset.maxNonce.map(String.init) ?? "-"))
            #expect(row[4] == preset.source)
        }
    }
}

/// The view table of the article SQLContract lists each view's columns as SQLite has them.
@Suite("The documented view table")
struct ViewTableTests {
    @Test("stream_state, nonce_history and nonce_events have the columns the article names, in order")
    func columns() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let article = try String(contentsOf: root.appendingPathComponent("Sources/NonceKit/NonceKit.docc/SQLContract.md"), encoding: .utf8)
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.database)
        for view in ["stream_state", "nonce_history", "nonce_events"] {
            let row = try #require(article.split(separator: "\n").first { $0.hasPrefix("| `\(view)` |") })
            let cell = row.split(separator: "|")[1]
            // Names only: a note in parentheses after a name is the article's, not a column.
            let documented = cell.replacingOccurrences(of: #"\([^)]*\)"#, with: "", options: .regularExpression)
                .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let actual = try store.withConnection { connection in
                try connection.prepare("SELECT name FROM pragma_table_info('\(view)')").rows([]) { $0.text(at: 0) ?? "" }
            }
            #expect(documented == actual, "\(view): the article says \(documented), SQLite has \(actual)")
        }
    }
}
