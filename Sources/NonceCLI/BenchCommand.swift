import ArgumentParser
import Foundation
import NonceKit
import NonceStore

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure issuing speed against baselines measured in the same run.",
        discussion: """
            Runs against a fresh temporary directory unless --db is given (its directory then holds the \
            scratch databases). Every figure is printed with its ratio to the baseline that bounds it, \
            measured in the same run on the same machine and disk: a mutex-plus-clock loop for issuing in \
            memory, a bulk insert of the same history rows for recording them, and a single-row \
            transaction loop for shared streams.
            """
    )

    @OptionGroup var database: DatabaseFileOption

    @Option(help: "Nonces per exclusive-stream run.")
    var count = 5_000_000

    @Option(help: "Single calls timed for the latency percentiles.")
    var latencyCount = 1_000_000

    @Option(help: "History rows in the database the restart is timed on.")
    var restartRows = 10_000_000

    @Option(help: "Nonces per process for the shared-stream runs.")
    var sharedCount = 2_000

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        for (name, value) in [("--count", count), ("--latency-count", latencyCount), ("--restart-rows", restartRows),
                              ("--shared-count", sharedCount)] where value < 1 {
            throw ValidationError("\(name) must be at least 1")
        }
    }

    func run() throws {
        let workspace = try BenchWorkspace(database: database.db)
        defer { workspace.remove() }
        let progress = BenchProgress(enabled: !json)
        let db = workspace.databasePath
        var results: [BenchResult] = []

        progress.say("baseline: mutex + clock, \(count) nonces")
        let memory = BenchResult(name: "mutex + clock loop (baseline)", count: count, seconds: ExclusiveBench.mutexClockBaseline(count: count))
        results.append(memory)
        progress.say("exclusive stream, history off")
        results.append(try BenchResult(name: "exclusive, history off", count: count, baseline: memory) {
            try ExclusiveBench.issue(path: db, stream: "bench-off", count: count, history: .off, threads: 1)
        })

        progress.say("baseline: bulk insert of \(count) history rows")
        let bulk = BenchResult(name: "bulk history insert (baseline)", count: count, seconds: try ExclusiveBench.bulkInsertBaseline(
            path: workspace.path("baseline-bulk.sqlite"), stream: "bulk", rows: count))
        results.append(bulk)
        for threads in [1, 2] {
            progress.say("exclusive stream, history on, \(threads) thread(s)")
            results.append(try BenchResult(name: "exclusive, history on, \(threads) thread(s)", count: count, baseline: bulk) {
                try ExclusiveBench.issue(path: db, stream: "bench-on-\(threads)", count: count, history: .batched, threads: threads)
            })
        }
        let peakAfterIssuing = ExclusiveBench.peakResidentBytes()

        progress.say("baseline: bare single-row transactions (synchronous=FULL)")
        let bare = BenchResult(name: "bare transaction loop (baseline)", count: sharedCount, seconds: try BareTransactionLoop.run(
            path: workspace.path("baseline-transactions.sqlite"), count: sharedCount))
        results.append(bare)
        progress.say("shared stream, 1 process")
        results.append(try BenchResult(name: "shared stream, 1 process", count: sharedCount, baseline: bare) {
            try SharedStreamBench.inProcess(path: db, count: sharedCount)
        })
        progress.say("shared stream, 2 processes")
        results.append(try BenchResult(name: "shared stream, 2 processes", count: 2 * sharedCount, baseline: bare) {
            try SharedStreamBench.processes(2, path: db, count: sharedCount)
        })

        progress.say("latency of \(latencyCount) single calls")
        let latency = try ExclusiveBench.latencies(path: db, count: latencyCount)

        progress.say("restart: writing \(restartRows) history rows, then timing open-to-first-nonce")
        let restartPath = workspace.path("restart.sqlite")
        _ = try ExclusiveBench.bulkInsertBaseline(path: restartPath, stream: "restart", rows: restartRows)
        let restart = try ExclusiveBench.restart(path: restartPath, stream: "restart")

        let report = BenchReport(
            results: results, latency: latency, restartRows: restartRows, restartSeconds: restart,
            peakResidentBytesAfterIssuing: peakAfterIssuing)
        print(json ? try JSONOutput.encode(report) : report.text)
    }
}

/// Everything one `nonce bench` run measured.
struct BenchReport: Codable {
    var results: [BenchResult]
    var latency: BenchLatency
    var restartRows: Int
    var restartSeconds: Double
    /// Peak resident memory once the exclusive runs (history on) were done.
    var peakResidentBytesAfterIssuing: Int64

    var text: String {
        func micro(_ nanoseconds: Int64) -> String { String(format: "%.2f µs", Double(nanoseconds) / 1_000) }
        return BenchResult.table(results) + "\n\n" + """
            single exclusive calls (\(latency.samples), history on): p50 \(micro(latency.p50)), \
            p99 \(micro(latency.p99)), p99.9 \(micro(latency.p999)), max \(micro(latency.max))
            restart with \(restartRows) history rows: \(String(format: "%.2f ms", restartSeconds * 1_000)) to the first nonce
            peak resident memory after the exclusive runs: \(String(format: "%.1f MiB", Double(peakResidentBytesAfterIssuing) / 1_048_576))
            """
    }
}
