import Foundation
import NonceKit
import NonceMigration
import NonceTestSupport
import Testing

/// Built with another package name, this target sees what a user of the library sees. The
/// store's write API (`apply`, `setHolder`, `claim`, shared issuing, rate counters) is
/// package access: it does not compile here. What does compile is tried against a held
/// stream, and none of it may lower the floor below a nonce already handed out.
@Suite("The public API cannot lower a floor")
struct SealedStoreTests {
    @Test("while a manager holds a stream, no other public door moves its floor below the nonces it handed out")
    func heldStreamKeepsItsFloor() throws {
        let directory = try TemporaryDirectory()
        let holder = try NonceManager(path: directory.database, configuration: .init(stream: "k"))
        var issued: [UInt64] = []
        for _ in 0..<1_000 { issued.append(try holder.next()) }
        let top = try #require(issued.last)

        // A second manager on the same stream is refused.
        let second = #expect(throws: NonceStoreError.self) { _ = try NonceManager(path: directory.database, configuration: .init(stream: "k")) }
        #expect(second?.code == .streamHeld)
        // A lower legacy value neither lowers the floor nor gets past the holder's claim.
        let low = String(UInt64(top) / 1_000_000 - 3_600_000)
        let plan = try LegacyImportPlan(paths: [], values: [low], options: .init(stream: "k"))
        let imported = #expect(throws: NonceStoreError.self) { _ = try plan.apply(toDatabaseAt: directory.database) }
        #expect(imported?.code == .streamHeld)
        // A backwards jump is refused.
        let backwards = #expect(throws: NonceStoreError.self) { _ = try holder.jump(by: .seconds(-3_600)) }
        #expect(backwards?.code == .invalidArgument)
        // The inspector reads and prunes history; the state stays.
        let inspector = try NonceInspector(path: directory.database)
        _ = try inspector.pruneHistory(of: "k", keep: 0)
        let stats = try inspector.stats(of: "k")
        #expect(UInt64(max(stats.lastIssued, stats.highWaterMark)) >= top, "the stored floor covers every nonce issued")

        let next = try holder.next()
        #expect(next > top)
        try holder.close()
        let successor = try NonceManager(path: directory.database, configuration: .init(stream: "k"))
        defer { try? successor.close() }
        #expect(try successor.next() > next, "after the holder, issuing continues above everything it handed out")
    }
}
