import NonceKit

/// The SQLite run: every part of the plan against a workspace of scratch files.
struct LocalBench {
    let plan: BenchPlan
    let workspace: BenchWorkspace
    let progress: BenchProgress

    func run() throws -> BenchReport {
        let sections = plan.sections.isEmpty ? Set(BenchSection.allCases) : plan.sections
        var report = BenchReport()
        if sections.contains(.issuing) {
            report.results += try issuing()
        }
        if sections.contains(.shared) {
            report.results += try shared()
        }
        if sections.contains(.latency) {
            for history in [NonceManager.HistoryMode.off, .batched] {
                for threads in [1, 2] {
                    progress.say("latency of \(plan.latencyCount) single calls, history \(history.rawValue), \(threads) thread(s)")
                    report.latencies.append(try ExclusiveBench.latencies(
                        path: workspace.databasePath, stream: "bench-latency-\(history.rawValue)-\(threads)",
                        count: plan.latencyCount, history: history, threads: threads))
                }
            }
        }
        if sections.contains(.restart) {
            progress.say("restart: writing \(plan.restartRows) history rows, then timing open-to-first-nonce")
            let path = workspace.path("restart.sqlite")
            _ = try ExclusiveBench.bulkInsertBaseline(path: path, stream: "restart", rows: plan.restartRows)
            report.restart = BenchRestart(rows: plan.restartRows, seconds: try ExclusiveBench.restart(path: path, stream: "restart"))
        }
        if sections.contains(.memory) {
            progress.say("memory: \(plan.memoryCount) nonces with history in a child process")
            report.memory = try MemoryBench.runChild(path: workspace.path("memory.sqlite"), count: plan.memoryCount)
        }
        return report
    }

    private func issuing() throws -> [BenchResult] {
        let db = workspace.databasePath
        let count = plan.count
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

    private func shared() throws -> [BenchResult] {
        let db = workspace.databasePath
        let count = plan.sharedCount
        progress.say("baseline: bare single-row transactions (synchronous=FULL)")
        let bare = BenchResult(name: "bare transaction loop (baseline)", count: count, seconds: try BareTransactionLoop.run(
            path: workspace.path("baseline-transactions.sqlite"), count: count))
        progress.say("shared stream, 1 process")
        let one = try BenchResult(name: "shared stream, 1 process", count: count, baseline: bare) {
            try SharedStreamBench.inProcess(path: db, count: count)
        }
        progress.say("shared stream, 2 processes")
        let two = try BenchResult(name: "shared stream, 2 processes", count: 2 * count, baseline: bare) {
            try SharedStreamBench.processes(2, path: db, count: count)
        }
        return [bare, one, two]
    }
}
