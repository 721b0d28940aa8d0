import Foundation
import NonceMigration
import NonceBackend
import NonceSQLite
import NonceTestSupport
import Testing

/// Files that are not what their names say: named in the report as suspect, at once,
/// never passed over, never read without bound.
@Suite("Hostile legacy files")
struct HostileFileTests {
    @Test("a 64 GiB sparse file with a nonce file's name is suspect at once, without being read")
    func sparseGiant() throws {
        let directory = try LegacyDirectory()
        let path = try directory.write("data/kraken_nonce.txt", "")
        try #require(truncate(path, 64 << 30) == 0)
        let started = ContinuousClock.now
        let plan = try LegacyImportPlan(paths: [directory.root], options: .init(now: fixedNow))
        #expect(ContinuousClock.now - started < .seconds(5))
        let report = try #require(plan.rejected.first)
        #expect(report.path == path && report.size == 64 << 30 && report.sha256 == nil)
        #expect(report.reason.contains("far too large"))
    }

    @Test("a directory, a FIFO, a device behind a symlink and a NUL-filled file under nonce names are each named as suspect")
    func notNonceFiles() throws {
        let directory = try LegacyDirectory()
        let asDirectory = directory.root + "/data/kraken_nonce.txt"
        try FileManager.default.createDirectory(atPath: asDirectory, withIntermediateDirectories: true)
        let fifo = directory.root + "/data/kraken_nonce.txt.tmp"
        try #require(mkfifo(fifo, 0o600) == 0)
        let device = directory.root + "/kraken_nonce.state"
        try FileManager.default.createSymbolicLink(atPath: device, withDestinationPath: "/dev/zero")
        let zeros = try directory.write("data/kraken_global_nonce.txt", bytes: [UInt8](repeating: 0, count: 19))
        let started = ContinuousClock.now
        let plan = try LegacyImportPlan(paths: [directory.root], options: .init(now: fixedNow))
        #expect(ContinuousClock.now - started < .seconds(5), "nothing blocked on the FIFO or the device")
        let reasons = Dictionary(uniqueKeysWithValues: plan.rejected.map { ($0.path, $0.reason) })
        #expect(reasons[asDirectory]?.contains("a directory") == true, "\(reasons)")
        #expect(reasons[fifo]?.contains("FIFO") == true, "\(reasons)")
        #expect(reasons[device]?.contains("character device") == true, "\(reasons)")
        #expect(reasons[zeros]?.contains("NUL bytes") == true, "\(reasons)")

        // With --skip-invalid the import goes on, and says what it left out.
        let skipping = try LegacyImportPlan(paths: [directory.root], options: .init(skipInvalid: true, now: fixedNow))
        #expect(skipping.rejected.isEmpty)
        #expect(skipping.files.filter { $0.status == .skipped }.count == 4)
    }

    @Test("a zero-padded value is read as its number, and the report says it was padded")
    func leadingZeros() throws {
        let directory = try LegacyDirectory()
        let value = legacyValue("ns")
        let padded = String(repeating: "0", count: 40 - value.count) + value
        try directory.write("data/kraken_nonce.txt", padded + "\n")
        let plan = try LegacyImportPlan(paths: [directory.root], options: .init(now: fixedNow))
        let file = try #require(plan.files.first { $0.path.hasSuffix("kraken_nonce.txt") })
        #expect(file.status == .counted, "\(file.reason)")
        #expect(file.normalized == UInt64(value))
        #expect(file.reason.contains("\(40 - value.count) leading zero(s)"), "\(file.reason)")
    }

    @Test("an empty --value is an error, not a value that is skipped", arguments: ["", "   "])
    func emptyValue(value: String) {
        #expect(throws: NonceStoreError.self) { try LegacyImportPlan(paths: [], values: [value]) }
    }
}
