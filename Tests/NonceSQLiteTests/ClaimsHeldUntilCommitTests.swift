import Foundation
import NonceBackend
@testable import NonceSQLite
import NonceTestSupport
import Synchronization
import Testing

/// Whoever changes a stream's floor from outside its issuing process holds the stream's
/// claim until the change has committed: released earlier, a manager could claim the
/// stream, read the old row and issue from memory below the floor being written.
@Suite("Claims are held until the commit")
struct ClaimsHeldUntilCommitTests {
    /// Runs `change` on `store` and, between its body and its commit, tries to claim `stream`
    /// through a second store on the same file: returns whether that claim was refused.
    private func claimRefusedBeforeCommit(
        _ store: SQLiteStore, stream: String, database: String, change: () throws -> Void
    ) throws -> Bool {
        let other = try SQLiteStore(path: database)
        let record = try #require(try store.stream(named: stream))
        let refused = Mutex<Bool?>(nil)
        store.beforeCommit = {
                do {
                    let claim = try other.claim(record, wait: nil, shared: false)
                    claim.release()
                    refused.withLock { $0 = false }
                } catch {
                    refused.withLock { $0 = true }
                }
        }
        defer { store.beforeCommit = nil }
        try change()
        guard let outcome = refused.withLock({ $0 }) else {
            Issue.record("the hook did not run before the commit")
            return false
        }
        return outcome
    }

    @Test("a legacy import raising an exclusive stream's floor")
    func legacyImport() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.database)
        _ = try store.openStream(named: "k", mode: .exclusive)
        #expect(try claimRefusedBeforeCommit(store, stream: "k", database: directory.database) {
            _ = try store.recordLegacyImport(id: "i", stream: "k", files: [], floor: WallClock.nanoseconds() + 3_600_000_000_000, summary: "test")
        })
    }

    @Test("a switch between exclusive and shared")
    func modeSwitch() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.database)
        _ = try store.openStream(named: "k", mode: .shared)
        #expect(try claimRefusedBeforeCommit(store, stream: "k", database: directory.database) {
            try store.setMode(.exclusive, stream: "k")
        })
    }

    @Test("a copy received from another database")
    func copy() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.database)
        let record = try store.openStream(named: "k", mode: .exclusive)
        #expect(try claimRefusedBeforeCommit(store, stream: "k", database: directory.database) {
            _ = try store.receiveCopy(of: record, floor: WallClock.nanoseconds() + 3_600_000_000_000, history: [], detail: "test")
        })
    }
}
