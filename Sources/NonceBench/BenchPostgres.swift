#if PostgreSQL
import Foundation
import NonceKit
import NoncePostgres

/// `nonce bench --db postgresql://...`: the server's figures against bare baselines run in
/// the same run, on the same server, in a scratch schema dropped afterwards.
enum PostgresBench {
    static let processCounts = [1, 4, 16]

    static func run(uri: String, count: Int, sharedCount: Int, progress: BenchProgress) throws -> [BenchResult] {
        let schema = "bench_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        let scratch = uri + (uri.contains("?") ? "&" : "?") + "schema=\(schema)"
        let store = try PostgresStore(uri: scratch)
        defer { try? store.dropSchema() }
        var results: [BenchResult] = []
        for processes in processCounts {
            progress.say("baseline: bare single-statement transactions, \(processes) connection(s) in as many processes")
            let bareStream = try store.openStream(named: "bare-\(processes)", mode: .shared)
            let bare = BenchResult(name: "bare transactions, \(processes) process(es) (baseline)", count: processes * sharedCount,
                                   seconds: try SharedStreamBench.children(processes, [
                                       BenchChild.postgresBare, "--db", scratch,
                                       "--stream-id", String(bareStream.id), "--count", String(sharedCount),
                                   ]))
            progress.say("shared stream, \(processes) process(es)")
            _ = try store.openStream(named: "shared-\(processes)", mode: .shared)
            let shared = BenchResult(name: "shared stream, \(processes) process(es)", count: processes * sharedCount,
                                     seconds: try SharedStreamBench.children(processes, [
                                         "next", "--count", String(sharedCount), "--stream", "shared-\(processes)", "--db", scratch,
                                     ]), baseline: bare)
            results += [bare, shared]
        }
        progress.say("baseline: bare batched insert of \(count) history rows")
        let bulkStream = try store.openStream(named: "bulk", mode: .exclusive)
        let bulk = BenchResult(name: "bare batched history insert (baseline)", count: count,
                               seconds: try PostgresBaselines.historyInsert(on: store, streamID: bulkStream.id, rows: count))
        progress.say("exclusive stream, history on")
        let exclusive = try BenchResult(name: "exclusive, history on", count: count, baseline: bulk) {
            let manager = try NonceManager(database: scratch, configuration: .init(stream: "exclusive"))
            let start = ContinuousClock.now
            for _ in 0..<count { _ = try manager.next() }
            try manager.close()  // the last rows are written: the time includes them
            return (ContinuousClock.now - start).seconds
        }
        let recorded = try store.stream(named: "exclusive")?.issuedTotal ?? 0
        guard recorded == Int64(count) else { throw BenchError("the exclusive run recorded \(recorded) of \(count) nonces") }
        return results + [bulk, exclusive]
    }
}

/// The child process of the PostgreSQL bench's bare baseline: one connection, a loop of
/// single-statement transactions.
enum PostgresBareChild {
    static func run(uri: String, streamID: Int64, count: Int) throws {
        _ = try PostgresBaselines.sharedLoop(on: PostgresStore(uri: uri), streamID: streamID, count: count)
    }
}
#endif
