import ArgumentParser
import Foundation
import NonceKit
import NonceBench

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
                               valueName: "part"), transform: BenchCommand.section)
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
        let plan = BenchPlan(sections: Set(only), count: count, latencyCount: latencyCount, restartRows: restartRows,
                             sharedCount: sharedCount, memoryCount: memoryCount)
        let quiet = json
        let report = try Benchmark.run(plan, database: database.db) { line in
            // Progress on stderr, so long runs show they are alive and stdout stays the result.
            if !quiet { FileHandle.standardError.write(Data("bench: \(line)\n".utf8)) }
        }
        try Output.line(json ? try JSONOutput.encode(report) : report.text)
    }
}

extension BenchCommand {
    static func section(_ text: String) throws -> BenchSection {
        guard let section = BenchSection(rawValue: text) else {
            throw ValidationError("'\(text)' is not a part of the bench: \(BenchSection.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return section
    }
}

/// The child side of the memory run; not for people (hidden from help).
struct BenchMemoryRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: BenchChild.memoryRun, abstract: "The child process of `nonce bench`'s memory run.", shouldDisplay: false)

    @OptionGroup var database: DatabaseFileOption

    @Option var count = 1_000_000

    func run() throws {
        try Output.line(try Benchmark.memoryChild(path: database.path, count: count))
    }
}

/// The child process of the PostgreSQL bench's bare baseline (hidden from help).
struct BenchPostgresBareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: BenchChild.postgresBare, abstract: "The child process of `nonce bench`'s PostgreSQL baseline.", shouldDisplay: false)

    @Option var db: String
    @Option var streamID: Int64
    @Option var count = 1_000

    func run() throws {
        try Benchmark.postgresBareChild(uri: db, streamID: streamID, count: count)
    }
}
