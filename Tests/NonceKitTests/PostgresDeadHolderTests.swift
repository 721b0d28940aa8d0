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
        try Self.lingeringClaimOfADeadProcess(record, in: store, endingAfter: 0.3)
        let claimant = try PostgresStore(uri: uri)  // connected before the clock starts
        let start = ContinuousClock.now
        let claim = try claimant.claim(record, wait: nil, shared: false)
        let waited = ContinuousClock.now - start
        #expect(waited >= .milliseconds(250) && waited < PostgresStore.deadHolderGrace, "\(waited)")
        claim.release()
    }

    @Test("set-mode right after a dead local holder waits for the server to end its session, as a claim does")
    func setModeAfterDeadHolder() throws {
        let uri = TestBackend.freshSchema()
        let store = try PostgresStore(uri: uri)
        let record = try store.openStream(named: "k", mode: .exclusive)
        try Self.lingeringClaimOfADeadProcess(record, in: store, endingAfter: 0.3)
        let switcher = try PostgresStore(uri: uri)
        let start = ContinuousClock.now
        #expect(try switcher.setMode(.shared, stream: "k"))
        let waited = ContinuousClock.now - start
        #expect(waited >= .milliseconds(250) && waited < PostgresStore.deadHolderGrace, "\(waited)")
        #expect(try switcher.stream(named: "k")?.mode == .shared)
    }

    /// The lock of a session the server has not ended yet, recorded as a dead process's:
    /// what a kill -9 leaves for a moment. Released on a thread of its own, so a busy global
    /// queue cannot delay it past the grace.
    static func lingeringClaimOfADeadProcess(_ record: StreamRecord, in store: PostgresStore, endingAfter delay: TimeInterval) throws {
        let lingering = try store.claim(record, wait: nil, shared: false)
        try store.setHolder(streamID: record.id, pid: try deadPID())
        let releaser = Thread {
            Thread.sleep(forTimeInterval: delay)
            lingering.release()
        }
        releaser.start()
    }

    @Test("a live holder is still refused at once, naming it")
    func liveHolderRefused() throws {
        let uri = TestBackend.freshSchema()
        let store = try PostgresStore(uri: uri)
        let record = try store.openStream(named: "k", mode: .exclusive)
        let holding = try store.claim(record, wait: nil, shared: false)
        try store.setHolder(streamID: record.id, pid: getpid())
        let claimant = try PostgresStore(uri: uri)
        let start = ContinuousClock.now
        let refused = #expect(throws: NonceStoreError.self) { try claimant.claim(record, wait: nil, shared: false) }
        #expect(ContinuousClock.now - start < PostgresStore.deadHolderGrace)
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
