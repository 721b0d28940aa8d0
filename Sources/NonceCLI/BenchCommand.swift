import ArgumentParser
import Foundation
import NonceKit
import NonceStore

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure issuing speed against baselines measured in the same run.",
        discussion: """
            Runs against a fresh temporary database unless --db is given. Every figure is printed \
            with its ratio to the baseline that bounds it, measured in the same run on the same disk.
            """
    )

    @OptionGroup var database: DatabaseFileOption

    @Option(help: "Nonces per process for the shared-stream runs.")
    var sharedCount = 2_000

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard sharedCount >= 1 else { throw ValidationError("--shared-count must be at least 1") }
    }

    func run() throws {
        let workspace = try BenchWorkspace(database: database.db)
        defer { workspace.remove() }
        var results: [BenchResult] = []
        let progress = BenchProgress(enabled: !json)

        progress.say("baseline: bare single-row transactions (synchronous=FULL)")
        let bare = try BareTransactionLoop.run(path: workspace.path("baseline-transactions.sqlite"), count: sharedCount)
        results.append(BenchResult(name: "bare transaction loop (baseline)", count: sharedCount, seconds: bare))

        progress.say("shared stream, 1 process")
        let shared = try SharedStreamBench.inProcess(path: workspace.databasePath, count: sharedCount)
        results.append(BenchResult(name: "shared stream, 1 process", count: sharedCount, seconds: shared, baseline: results[0]))

        progress.say("shared stream, 2 processes")
        let two = try SharedStreamBench.processes(2, path: workspace.databasePath, count: sharedCount)
        results.append(BenchResult(name: "shared stream, 2 processes", count: 2 * sharedCount, seconds: two, baseline: results[0]))

        if json {
            print(try JSONOutput.encode(results))
        } else {
            print(BenchResult.table(results))
        }
    }
}
