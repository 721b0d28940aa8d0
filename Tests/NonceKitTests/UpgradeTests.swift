import Foundation
import NonceKit
import NonceSchema
import NonceTestSupport
import Testing

/// A database written by the previous release (0.11.0, schema 4), committed as a file:
/// it opens, upgrades in place and keeps every promise it made.
@Suite("Upgrading a database of the previous release")
struct UpgradeTests {
    /// `nonce` 0.11.0 wrote it: 505 nonces and a jump on exclusive `kraken-main`, 20 on
    /// shared `shared-key`, a rejection, and an import of 1700000000000 ms into `legacy`.
    static let lastExclusive: UInt64 = 1_795_891_636_005_689_611
    static let lastShared: UInt64 = 1_795_891_606_238_391_824

    static func copyOfFixture() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        let fixture = try #require(Bundle.module.url(forResource: "v0.11-schema4", withExtension: "sqlite"))
        try FileManager.default.copyItem(at: fixture, to: URL(fileURLWithPath: directory.database))
        return directory
    }

    @Test("opens, migrates to the latest schema, and every stream issues above what it issued before")
    func upgradesInPlace() throws {
        let directory = try Self.copyOfFixture()
        let exclusive = try NonceManager(path: directory.database, configuration: .init(stream: "kraken-main"))
        #expect(try exclusive.next() > Self.lastExclusive)
        #expect(exclusive.stats().issuedTotal == 506, "505 before, one now")
        #expect(exclusive.stats().consecutiveRejections == 1)
        try exclusive.close()
        let shared = try NonceManager(path: directory.database, configuration: .init(stream: "shared-key", mode: .shared))
        #expect(try shared.next() > Self.lastShared)
        try shared.close()
        let legacy = try NonceManager(path: directory.database, configuration: .init(stream: "legacy"))
        #expect(try legacy.next() > 1_700_000_000_000_000_000)
        try legacy.close()

        let inspector = try NonceInspector(path: directory.database)
        #expect(try inspector.verify().isValid)
        #expect(try inspector.streams().map(\.stream) == ["kraken-main", "legacy", "shared-key"])
        #expect(try inspector.streams().allSatisfy { $0.floorRepairs == 0 }, "the old records agreed: nothing to repair")
        #expect(try inspector.streams().allSatisfy { $0.unit == .nanoseconds && $0.maxNonce == nil }, "every old stream is ns, without a ceiling")
        #expect(try inspector.history(of: "kraken-main", limit: 1_000).count == 506)
    }

    @Test("the upgrade counts the history it finds into history_seconds, so the timeline shows what came before")
    func rollupFilled() throws {
        let directory = try Self.copyOfFixture()
        let inspector = try NonceInspector(path: directory.database)
        for (stream, count) in [("kraken-main", 505), ("shared-key", 20)] {
            let history = try inspector.history(of: stream, limit: 1_000)
            #expect(history.count == count)
            let times = history.map(\.issuedAt)
            let timeline = try inspector.timeline(streams: [stream], from: times.min()! - 60_000_000_000, until: times.max()! + 60_000_000_000)
            #expect(timeline.streams[0].issued == Int64(count), "\(stream)")
            #expect(Set(timeline.streams[0].series.compactMap(\.pid)) == Set(history.map(\.pid)))
        }
    }
}
