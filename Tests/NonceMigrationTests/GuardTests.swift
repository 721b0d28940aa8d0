import NonceMigration
import NonceBackend
import NonceSQLite
import Testing

@Suite("Guards on suspect values")
struct GuardTests {
    @Test("a truncated ns value and a 22-digit value stop the import, naming each file and reason")
    func truncatedAndOversized() throws {
        let directory = try LegacyDirectory()
        try directory.write("data/kraken_global_nonce.txt", legacyValue("ns"))
        let truncated = try directory.write("data/kraken_global_nonce.txt.tmp", String(legacyValue("ns").prefix(14)))
        let oversized = try directory.write("data/kraken_nonce_user7.txt", legacyValue("us") + "000000")
        let plan = try LegacyImportPlan(paths: [directory.root], options: .init(now: fixedNow))
        #expect(Set(plan.rejected.map(\.path)) == [truncated, oversized])
        let error = #expect(throws: NonceStoreError.self) { try plan.apply(to: SQLiteStore(path: directory.database)) }
        let message = error?.description ?? ""
        #expect(message.contains(truncated) && message.contains("fits no unit"))
        #expect(message.contains(oversized) && message.contains("2^64"))
        #expect(error?.code == .importRejected)
        #expect(message.contains("leave them out as invalid") && !message.contains("--"), "no command-line flag in a library message")
        #expect((error?.cause as? LegacyImportRejection)?.report.files.count == plan.files.count)
    }

    @Test("--skip-invalid leaves suspect files out and takes the floor from the rest")
    func skipInvalid() throws {
        let directory = try LegacyDirectory()
        try directory.write("data/kraken_global_nonce.txt", legacyValue("ns"))
        try directory.write("data/kraken_global_nonce.txt.tmp", String(legacyValue("ns").prefix(14)))
        let plan = try LegacyImportPlan(paths: [directory.root], options: .init(skipInvalid: true, now: fixedNow))
        #expect(plan.rejected.isEmpty)
        #expect(plan.files.filter { $0.status == .skipped }.count == 1)
        #expect(plan.floor == UInt64(fixedNow))
    }

    @Test("a value further ahead than --max-lead stops the import; --accept-future takes it with its lead")
    func farAhead() throws {
        let directory = try LegacyDirectory()
        let ahead = try directory.write("data/kraken_nonce.state", legacyValue("ms", plus: 90 * minute))
        let stopped = try LegacyImportPlan(paths: [directory.root], options: .init(maxLead: .seconds(3_600), now: fixedNow))
        #expect(stopped.rejected.map(\.path) == [ahead])
        #expect(stopped.rejected.first?.reason.contains("1h 30m") == true)
        let error = #expect(throws: NonceStoreError.self) { try stopped.checkAccepted() }
        #expect(error?.description.contains("accept values ahead of the clock") == true)

        let accepted = try LegacyImportPlan(
            paths: [directory.root], options: .init(acceptFuture: true, maxLead: .seconds(3_600), now: fixedNow))
        #expect(accepted.rejected.isEmpty)
        #expect(accepted.floor == UInt64(fixedNow + 90 * minute))
        #expect(accepted.files.first?.leadNanoseconds == 90 * minute)
        #expect(accepted.files.first?.reason.contains("accepted ahead of the clock") == true)
        // The default lead is a day: 90 minutes passes without any flag.
        #expect(try LegacyImportPlan(paths: [directory.root], options: .init(now: fixedNow)).rejected.isEmpty)
    }

    @Test("--accept-future never lets a value beyond the horizon (a truncated one) become the floor")
    func acceptFutureKeepsTheHorizon() throws {
        let directory = try LegacyDirectory()
        try directory.write("data/kraken_nonce_x.txt.tmp", String(legacyValue("ns").prefix(14)))
        let plan = try LegacyImportPlan(paths: [directory.root], options: .init(acceptFuture: true, now: fixedNow))
        #expect(plan.rejected.count == 1)
        #expect(plan.floor == nil)
    }

    @Test("a bad line among good ones rejects the whole file")
    func badLine() throws {
        let directory = try LegacyDirectory()
        try directory.write("data/kraken_nonce.state", legacyValue("ms") + "\n" + "17640000000000000000000\n")
        let plan = try LegacyImportPlan(paths: [directory.root], options: .init(now: fixedNow))
        #expect(plan.rejected.first?.reason.contains("value 2 of 2") == true)
    }

    @Test("unreadable and oversized nonce files are suspect too, not silently dropped")
    func unreadableAndOversized() throws {
        let directory = try LegacyDirectory()
        let huge = try directory.write("data/kraken_nonce.txt", String(repeating: "1", count: 70_000))
        let plan = try LegacyImportPlan(paths: [directory.root], options: .init(now: fixedNow))
        #expect(plan.rejected.map(\.path) == [huge])
        #expect(plan.rejected.first?.reason.contains("too large") == true)
    }
}
