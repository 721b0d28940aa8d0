import Foundation
import NonceKit
import NonceSQLite
import NonceTestSupport
import Testing

@Suite("Async issuing")
struct AsyncIssuingTests {
    @Test("async next on an exclusive stream is strictly increasing per task and unique overall, renewals included")
    func exclusiveAsyncNext() async throws {
        let directory = try TemporaryDirectory()
        // A lease of one microsecond: nearly every nonce needs a renewal, so the path that
        // waits off the pool is taken as often as the one that issues at once.
        let manager = try await NonceManager.open(
            path: directory.database, configuration: .init(stream: "a", timing: .init(leaseSpan: .microseconds(1))))
        let perTask = try await withThrowingTaskGroup(of: [UInt64].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var nonces: [UInt64] = []
                    for _ in 0..<200 { nonces.append(try await manager.next()) }
                    return nonces
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for nonces in perTask { #expect(zip(nonces, nonces.dropFirst()).allSatisfy { $0 < $1 }) }
        #expect(Set(perTask.joined()).count == 1_600)
        try await manager.close()
        let state = try #require(try SQLiteStore(path: directory.database).stream(named: "a"))
        #expect(UInt64(state.floor) >= perTask.joined().max()!)
    }

    @Test("tasks waiting for the write lock leave the cooperative pool free for other tasks")
    func waitingLeavesThePoolFree() throws {
        let directory = try TemporaryDirectory()
        // In a process of its own: this suite's other tests would otherwise hold the
        // pool's threads too. 64 waiting tasks: far more than the pool has threads.
        let result = try ChildProcess.run(ChildProcess.helper, ["poolprobe", directory.database, "s", "64"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.lines == ["probe before release", "issued 64"], "\(result.stdout)\(result.stderr)")
    }
}
