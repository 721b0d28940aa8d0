import NonceMigration
import NonceBackend
import NonceSQLite
import Testing

@Suite("One fixture per legacy format and edge case")
struct FormatTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var file: String
        var content: String
        var format: String
        var status: LegacyFileReport.Status
        var unit: NonceUnit? = nil
        var normalized: Int64? = nil
        var testDescription: String { file }
    }

    static let cases: [Case] = [
        Case(file: "kraken_nonce.txt", content: "1763999999000000", format: "broker-text", status: .counted,
             unit: .microseconds, normalized: 1_763_999_999_000_000_000),
        Case(file: "data/kraken_nonce.txt", content: "1763999999000000\n", format: "broker-text", status: .counted,
             unit: .microseconds, normalized: 1_763_999_999_000_000_000),
        Case(file: "data/kraken_nonce_master.txt", content: "1763999990000", format: "account-text", status: .counted,
             unit: .milliseconds, normalized: 1_763_999_990_000_000_000),
        Case(file: "data/kraken_nonce_user_jane_doe.txt", content: "1763999991000000", format: "account-text",
             status: .counted, unit: .microseconds, normalized: 1_763_999_991_000_000_000),
        Case(file: "data/kraken_nonce_user42.txt", content: "1763999992000000123", format: "account-text",
             status: .counted, unit: .nanoseconds, normalized: 1_763_999_992_000_000_123),
        Case(file: "data/kraken_nonce_user42.state", content: "1763999993000", format: "key-state", status: .counted,
             unit: .milliseconds, normalized: 1_763_999_993_000_000_000),
        Case(file: "data/kraken_nonce_3f2a9c0d1e4b5a6f.state", content: "1763999994000", format: "key-state",
             status: .counted, unit: .milliseconds, normalized: 1_763_999_994_000_000_000),
        Case(file: "data/kraken_global_nonce.txt", content: "1763999995000000456", format: "global-text",
             status: .counted, unit: .nanoseconds, normalized: 1_763_999_995_000_000_456),
        Case(file: "data/kraken_nonce.state", content: "1763999996000\n1763999997000\n1763999995000", format: "platform-state",
             status: .counted, unit: .milliseconds, normalized: 1_763_999_997_000_000_000),
        Case(file: "data/kraken_nonce.txt.tmp", content: "1763999998000000", format: "broker-text.tmp", status: .counted,
             unit: .microseconds, normalized: 1_763_999_998_000_000_000),
        Case(file: "data/kraken_nonce.state.bak.1763990000", content: "1763989999000", format: "platform-state.bak",
             status: .counted, unit: .milliseconds, normalized: 1_763_989_999_000_000_000),
        Case(file: "data/.nonce_tmp_a81kq2", content: "1763999999500000000", format: "interrupted-write", status: .counted,
             unit: .nanoseconds, normalized: 1_763_999_999_500_000_000),
        Case(file: "data/kraken_nonce_crlf.txt", content: "1763999990000\r\n", format: "account-text", status: .counted,
             unit: .milliseconds, normalized: 1_763_999_990_000_000_000),
        Case(file: "data/kraken_nonce_spaces.txt", content: "  1763999990000 \n", format: "account-text", status: .counted,
             unit: .milliseconds, normalized: 1_763_999_990_000_000_000),
        Case(file: "data/kraken_nonce_empty.txt", content: "", format: "account-text", status: .ignored),
        Case(file: "data/kraken_nonce_empty.txt.tmp", content: "", format: "account-text.tmp", status: .ignored),
        Case(file: "data/kraken_nonce.txt.lock", content: "", format: "lock-file", status: .ignored),
        Case(file: "data/kraken_nonce.txt.pid", content: "4242\n{\"pid\": 4242, \"started\": 1763999990}", format: "pid-file",
             status: .ignored),
        Case(file: "data/kraken_nonce_user42.state.pid", content: "4242\n4243\n", format: "pid-file", status: .ignored),
        Case(file: "data/kraken_nonce_offsets.json", content: "{\"ema_gap_ms\": 12.5, \"history\": [], \"updated_ts\": 1763999990}",
             format: "offsets-json", status: .ignored),
        Case(file: "data/notes.txt", content: "1763999999999", format: "unrecognized", status: .ignored),
    ]

    @Test("each file is recognized, its unit inferred and its value normalized", arguments: cases)
    func format(_ fixture: Case) throws {
        let directory = try LegacyDirectory()
        let path = try directory.write(fixture.file, fixture.content)
        let plan = try LegacyImportPlan(paths: [directory.root], options: .init(now: fixedNow))
        let report = try #require(plan.files.first { $0.path == path })
        #expect(plan.files.count == 1)
        #expect(report.format == fixture.format)
        #expect(report.status == fixture.status)
        #expect(report.unit == fixture.unit)
        #expect(report.normalized == fixture.normalized.map(UInt64.init))
        #expect(report.size == Int64(fixture.content.utf8.count))
        if fixture.format != "unrecognized" {
            #expect(report.sha256?.count == 64)
        }
    }

    @Test("a file named directly is read like one found in a directory")
    func singleFile() throws {
        let directory = try LegacyDirectory()
        let path = try directory.write("data/kraken_global_nonce.txt", "1763999995000000456")
        let plan = try LegacyImportPlan(paths: [path, path], options: .init(now: fixedNow))
        #expect(plan.files.count == 1)
        #expect(plan.floor == 1_763_999_995_000_000_456)
    }

    @Test("a value given on the command line (an old Redis key) counts like a file")
    func commandLineValue() throws {
        let plan = try LegacyImportPlan(paths: [], values: ["1763999999000"], options: .init(now: fixedNow))
        #expect(plan.files.first?.format == "command-line")
        #expect(plan.floor == 1_763_999_999_000_000_000)
    }

    @Test("a missing path stops the import, naming it")
    func missingPath() throws {
        let directory = try LegacyDirectory()
        let error = #expect(throws: NonceStoreError.self) {
            try LegacyImportPlan(paths: [directory.root + "/nowhere"], options: .init(now: fixedNow))
        }
        #expect(error?.description.contains("nowhere") == true)
    }
}
