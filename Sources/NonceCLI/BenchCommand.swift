import ArgumentParser
import Foundation
import NonceKit
import NonceBackend
import NonceSQLite

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure issuing speed against baselines measured in the same run.",
        discussion: """
            Runs against a fresh temporary directory unless --db is given (its directory then holds the \
            scratch databases). With --db postgresql://..., runs on that server in a scratch schema it drops \
            afterwards: shared streams with 1, 4 and 16 processes beside bare single-statement transactions \
            over as many connections, and an exclusive stream's history beside a bare batched insert. Every figure is printed with its ratio to the baseline that bounds it, \
            measured in the same run on the same machine and disk: a mutex-plus-clock loop for issuing in \
            memory, a bulk insert of the same history rows for recording them, and a single-row \
            transaction loop for shared streams. The memory run issues --memory-count nonces with \
            history in a child process, so its peak resident memory is that run's alone.
            """
    )

    @OptionGroup var database: DatabaseFileOption

    @Option(help: ArgumentHelp("Run only this part (repeatable): \(BenchSection.allCases.map(\.rawValue).joined(separator: ", ")).",
                               valueName: "part"))
    var only: [BenchSection] = []

    @Option(help: "Nonces per exclusive-stream run.")
    var count = 5_000_000

    @Option(help: "Single calls timed for the latency percentiles.")
    var latencyCount = 1_000_000

    @Option(help: "History rows in the database the restart is timed on.")
    var restartRows = 10_000_000

    @Option(help: "Nonces per process for the shared-stream runs.")
    var sharedCount = 2_000

    @Option(help: "Nonces issued with history in the memory run.")
    var memoryCount = 50_000_000

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        for (name, value) in [("--count", count), ("--latency-count", latencyCount), ("--restart-rows", restartRows),
                              ("--shared-count", sharedCount), ("--memory-count", memoryCount)] where value < 1 {
            throw ValidationError("\(name) must be at least 1")
        }
    }

    func run() throws {
        if let db = database.db, DatabaseLocation.isServerURI(db) {
            // On a server: shared streams with 1, 4 and 16 processes and exclusive history,
            // each beside its bare baseline.
            let progress = BenchProgress(enabled: !json)
            var report = BenchReport()
            report.results = try PostgresBench.run(uri: db, count: count, sharedCount: sharedCount, progress: progress)
            try Output.line(json ? try JSONOutput.encode(report) : report.text)
            return
        }
        let workspace = try BenchWorkspace(database: database.db)
        defer { workspace.remove() }
        let progress = BenchProgress(enabled: !json)
        let sections = only.isEmpty ? Set(BenchSection.allCases) : Set(only)
        var report = BenchReport()
        if sections.contains(.issuing) {
            report.results += try issuing(workspace: workspace, progress: progress)
        }
        if sections.contains(.shared) {
            report.results += try shared(workspace: workspace, progress: progress)
        }
        if sections.contains(.latency) {
            for history in [NonceManager.HistoryMode.off, .batched] {
                for threads in [1, 2] {
                    progress.say("latency of \(latencyCount) single calls, history \(history.rawValue), \(threads) thread(s)")
                    report.latencies.append(try ExclusiveBench.latencies(
                        path: workspace.databasePath, stream: "bench-latency-\(history.rawValue)-\(threads)",
                        count: latencyCount, history: history, threads: threads))
                }
            }
        }
        if sections.contains(.restart) {
            progress.say("restart: writing \(restartRows) history rows, then timing open-to-first-nonce")
            let path = workspace.path("restart.sqlite")
            _ = try ExclusiveBench.bulkInsertBaseline(path: path, stream: "restart", rows: restartRows)
            report.restart = BenchRestart(rows: restartRows, seconds: try ExclusiveBench.restart(path: path, stream: "restart"))
        }
        if sections.contains(.memory) {
            progress.say("memory: \(memoryCount) nonces with history in a child process")
            report.memory = try MemoryBench.runChild(path: workspace.path("memory.sqlite"), count: memoryCount)
        }
        try Output.line(json ? try JSONOutput.encode(report) : report.text)
    }

    private func issuing(workspace: BenchWorkspace, progress: BenchProgress) throws -> [BenchResult] {
        let db = workspace.databasePath
        progress.say("baseline: mutex + clock, \(count) nonces")
        let memory = BenchResult(name: "mutex + clock loop (baseline)", count: count, seconds: ExclusiveBench.mutexClockBaseline(count: count))
        progress.say("exclusive stream, history off")
        var results = [memory]
        results.append(try BenchResult(name: "exclusive, history off", count: count, baseline: memory) {
            try ExclusiveBench.issue(path: db, stream: "bench-off", count: count, history: .off, threads: 1)
        })
        progress.say("baseline: bulk insert of \(count) history rows")
        let bulk = BenchResult(name: "bulk history insert (baseline)", count: count, seconds: try ExclusiveBench.bulkInsertBaseline(
            path: workspace.path("baseline-bulk.sqlite"), stream: "bulk", rows: count))
        results.append(bulk)
        progress.say("baseline: \(count) history rows generated inside SQLite")
        let generated = BenchResult(name: "INSERT ... SELECT in SQLite (limit)", count: count, seconds: try ExclusiveBench.generatedInsertBaseline(
            path: workspace.path("baseline-generated.sqlite"), rows: count))
        results.append(generated)
        for threads in [1, 2] {
            progress.say("exclusive stream, history on, \(threads) thread(s)")
            let run = try BenchResult(name: "exclusive, history on, \(threads) thread(s)", count: count, baseline: bulk) {
                try ExclusiveBench.issue(path: db, stream: "bench-on-\(threads)", count: count, history: .batched, threads: threads)
            }
            results.append(run)
            results.append(BenchResult(name: "  the same, beside SQLite's limit", count: count, seconds: run.seconds, baseline: generated))
        }
        return results
    }

    private func shared(workspace: BenchWorkspace, progress: BenchProgress) throws -> [BenchResult] {
        let db = workspace.databasePath
        progress.say("baseline: bare single-row transactions (synchronous=FULL)")
        let bare = BenchResult(name: "bare transaction loop (baseline)", count: sharedCount, seconds: try BareTransactionLoop.run(
            path: workspace.path("baseline-transactions.sqlite"), count: sharedCount))
        progress.say("shared stream, 1 process")
        let one = try BenchResult(name: "shared stream, 1 process", count: sharedCount, baseline: bare) {
            try SharedStreamBench.inProcess(path: db, count: sharedCount)
        }
        progress.say("shared stream, 2 processes")
        let two = try BenchResult(name: "shared stream, 2 processes", count: 2 * sharedCount, baseline: bare) {
            try SharedStreamBench.processes(2, path: db, count: sharedCount)
        }
        return [bare, one, two]
    }
}

/// The parts of `nonce bench` that `--only` can pick.
enum BenchSection: String, CaseIterable, ExpressibleByArgument {
    /// Exclusive streams, history off and on, 1 and 2 threads, with their baselines.
    case issuing
    /// Shared streams, 1 and 2 processes, with the bare transaction loop.
    case shared
    /// Single-call latency percentiles.
    case latency
    /// Open-to-first-nonce on a database with many history rows.
    case restart
    /// Peak resident memory of a long run with history, in a child process.
    case memory
}
