import Foundation
import NonceKit

/// The parts of `nonce bench` that `--only` can pick.
public enum BenchSection: String, CaseIterable, Sendable {
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

/// What one benchmark run measures, and how much.
public struct BenchPlan: Sendable {
    /// The parts to run; empty runs every part.
    public var sections: Set<BenchSection>
    /// Nonces per exclusive-stream run.
    public var count: Int
    /// Single calls timed for the latency percentiles.
    public var latencyCount: Int
    /// History rows in the database the restart is timed on.
    public var restartRows: Int
    /// Nonces per process for the shared-stream runs.
    public var sharedCount: Int
    /// Nonces issued with history in the memory run.
    public var memoryCount: Int

    public init(sections: Set<BenchSection> = [], count: Int, latencyCount: Int, restartRows: Int, sharedCount: Int, memoryCount: Int) {
        self.sections = sections
        self.count = count
        self.latencyCount = latencyCount
        self.restartRows = restartRows
        self.sharedCount = sharedCount
        self.memoryCount = memoryCount
    }
}

/// The command names under which the running executable answers the benchmark's child
/// processes: it starts copies of itself, so each run's figures are that process's alone.
public enum BenchChild {
    /// Runs ``Benchmark/memoryChild(path:count:)`` and prints its JSON.
    public static let memoryRun = "bench-memory-run"
    /// Runs ``Benchmark/postgresBareChild(uri:streamID:count:)``.
    public static let postgresBare = "bench-postgres-bare"
}

/// `nonce bench`: issuing speed beside baselines measured in the same run, on the same
/// machine and disk, each figure with its ratio to the baseline that bounds it.
///
/// The baselines are bare forms of the same work (a mutex around the clock, bulk inserts of
/// the same rows, single-row transactions) written against the backends directly: they live
/// here, never in a backend.
public enum Benchmark {
    /// Runs `plan` on `database`: a PostgreSQL URI (a scratch schema, dropped afterwards), a
    /// SQLite path whose directory holds the scratch files, or nil for a temporary directory.
    ///
    /// - Parameter progress: called with a line before each step, for long runs.
    public static func run(_ plan: BenchPlan, database: String?, progress: @escaping @Sendable (String) -> Void) throws -> BenchReport {
        let progress = BenchProgress(say: progress)
        if let database, NonceDatabase.isServer(database) {
            #if PostgreSQL
            var report = BenchReport()
            report.results = try PostgresBench.run(uri: database, count: plan.count, sharedCount: plan.sharedCount, progress: progress)
            return report
            #else
            throw BenchError("this build has no PostgreSQL backend: build with the 'PostgreSQL' package trait")
            #endif
        }
        let workspace = try BenchWorkspace(database: database)
        defer { workspace.remove() }
        return try LocalBench(plan: plan, workspace: workspace, progress: progress).run()
    }

    /// The memory run's child side: issues `count` nonces with history and reports its
    /// resident memory, as JSON for the parent.
    public static func memoryChild(path: String, count: Int) throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: try encoder.encode(MemoryBench.run(path: path, count: count)), as: UTF8.self)
    }

    /// The PostgreSQL baseline's child side: bare single-statement transactions on one connection.
    public static func postgresBareChild(uri: String, streamID: Int64, count: Int) throws {
        #if PostgreSQL
        try PostgresBareChild.run(uri: uri, streamID: streamID, count: count)
        #else
        throw BenchError("this build has no PostgreSQL backend: build with the 'PostgreSQL' package trait")
        #endif
    }
}
