import Foundation
import NonceKit
import NonceBackend
import NonceSQLite
import NonceTestSupport
import Testing

@Suite("Exclusive claims")
struct ClaimTests {
    @Test("a second manager on a held stream fails at once, naming the holder's pid")
    func heldStream() throws {
        let directory = try TemporaryDirectory()
        let first = try NonceManager(path: directory.database)
        let error = #expect(throws: NonceStoreError.self) { try NonceManager(path: directory.database) }
        #expect(error?.description.contains("process \(getpid())") == true)
        // Another stream in the same file is free.
        let other = try NonceManager(path: directory.database, configuration: .init(stream: "other"))
        try other.close()
        try first.close()
        let second = try NonceManager(path: directory.database)
        try second.close()
    }

    @Test("waiting for a claim times out with a clear error")
    func claimWaitTimesOut() throws {
        let directory = try TemporaryDirectory()
        let first = try NonceManager(path: directory.database)
        defer { try? first.close() }
        let error = #expect(throws: NonceStoreError.self) {
            try NonceManager(path: directory.database, configuration: .init(timing: .init(claimWait: .milliseconds(50))))
        }
        #expect(error?.description.contains("after waiting") == true)
    }

    @Test("stats from the database alone report the live holder")
    func statsShowHolder() throws {
        let directory = try TemporaryDirectory()
        let manager = try NonceManager(path: directory.database)
        _ = try manager.next()
        let store = try SQLiteStore(path: directory.database)
        #expect(try NonceManager.stats(of: "default", in: store).holderPID == getpid())
        try manager.close()
        #expect(try NonceManager.stats(of: "default", in: store).holderPID == nil)
    }
}
