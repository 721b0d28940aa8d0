#if PostgreSQL  // The PostgreSQL backend is built only with the trait.
import Foundation
import NonceBackend
import NonceKit
import NoncePostgres
import NonceTestSupport
import Synchronization
import Testing

/// A claim whose recorded holder is a dead process of this host is taken as soon as the
/// server ends that process's session, not refused naming the dead process meanwhile.
@Suite("PostgreSQL: a claim left by a dead process", .enabled(if: TestBackend.postgresURI != nil))
struct PostgresDeadHolderTests {
    /// These provoke failures the library logs as errors: keep them out of the run's output.
    init() { QuietLogging.installed }

    @Test("the server still holds a dead local process's claim for a moment: the next claim waits for it instead of refusing")
    func deadHolderOnThisHost() throws {
        let uri = TestBackend.freshSchema()
        let store = try PostgresStore(uri: uri)
        let record = try store.openStream(named: "k", mode: .exclusive)
        // The lock of a session the server has not ended yet, recorded as a dead process's.
        let lingering = try store.claim(record, wait: nil, shared: false)
        try store.setHolder(streamID: record.id, pid: try Self.deadPID())
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { lingering.release() }
        let start = ContinuousClock.now
        let claim = try PostgresStore(uri: uri).claim(record, wait: nil, shared: false)
        let waited = ContinuousClock.now - start
        #expect(waited >= .milliseconds(250) && waited < PostgresStore.deadHolderGrace, "\(waited)")
        claim.release()
    }

    @Test("a live holder is still refused at once, naming it")
    func liveHolderRefused() throws {
        let uri = TestBackend.freshSchema()
        let store = try PostgresStore(uri: uri)
        let record = try store.openStream(named: "k", mode: .exclusive)
        let holding = try store.claim(record, wait: nil, shared: false)
        try store.setHolder(streamID: record.id, pid: getpid())
        let start = ContinuousClock.now
        let refused = #expect(throws: NonceStoreError.self) { try PostgresStore(uri: uri).claim(record, wait: nil, shared: false) }
        #expect(ContinuousClock.now - start < .seconds(1))
        #expect(refused?.holderPID == getpid())
        holding.release()
    }

    /// A pid of this host that is no longer running: a child that has exited.
    static func deadPID() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["true"]
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }
}
#endif
