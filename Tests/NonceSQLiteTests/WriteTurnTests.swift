import Foundation
@testable import NonceSQLite
import NonceTestSupport
import Testing

/// The write turn's waits stay bounded: callers that give up behind a holder that does not
/// move (a stopped process) leave at most one request blocked in the kernel per database.
@Suite("The write turn")
struct WriteTurnTests {
    @Test("twenty callers timing out behind a held turn leave one kernel request, not twenty; the turn still passes on")
    func abandonedWaitsAreBounded() throws {
        let directory = try TemporaryDirectory()
        _ = try SQLiteStore(path: directory.database)
        let turn = WriteTurn(path: directory.database)
        let held = try #require(try turn.acquire(until: .now + .seconds(5)))
        DispatchQueue.concurrentPerform(iterations: 20) { _ in
            let got = try? WriteTurn(path: directory.database).acquire(until: .now + .milliseconds(50))
            #expect(got == nil, "the turn is held")
        }
        #expect(turn.kernelWaits <= 1, "blocked kernel requests: \(turn.kernelWaits)")
        held.release()
        let next = try #require(try turn.acquire(until: .now + .seconds(5)), "the turn passed on once released")
        next.release()
        let deadline = ContinuousClock.now + .seconds(5)
        while turn.kernelWaits > 0 && ContinuousClock.now < deadline { usleep(1_000) }
        #expect(turn.kernelWaits == 0)
    }
}
