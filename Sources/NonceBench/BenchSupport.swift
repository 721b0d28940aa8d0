import Foundation
import NonceKit
import NonceSQLite

/// One measured figure, and its ratio to the baseline that bounds it.
struct BenchResult: Codable {
    var name: String
    var count: Int
    var seconds: Double
    var perSecond: Double
    /// This figure's rate divided by its baseline's (nil for a baseline).
    var ratioToBaseline: Double?
    var baseline: String?

    /// Writes a baseline's missing ratio and baseline name as `null`: one shape for every row.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(count, forKey: .count)
        try container.encode(seconds, forKey: .seconds)
        try container.encode(perSecond, forKey: .perSecond)
        try container.encode(ratioToBaseline, forKey: .ratioToBaseline)
        try container.encode(baseline, forKey: .baseline)
    }

    /// Measures `run` (which returns seconds) against `baseline`.
    init(name: String, count: Int, baseline: BenchResult, _ run: () throws -> Double) rethrows {
        self.init(name: name, count: count, seconds: try run(), baseline: baseline)
    }

    init(name: String, count: Int, seconds: Double, baseline: BenchResult? = nil) {
        self.name = name
        self.count = count
        self.seconds = seconds
        perSecond = seconds > 0 ? Double(count) / seconds : 0
        if let baseline, baseline.perSecond > 0 {
            ratioToBaseline = perSecond / baseline.perSecond
            self.baseline = baseline.name
        }
    }

    static func table(_ results: [BenchResult]) -> String {
        let rows = [["MEASURE", "NONCES", "SECONDS", "PER SECOND", "VS BASELINE"]] + results.map { result in
            [result.name, String(result.count), String(format: "%.3f", result.seconds), String(format: "%.0f", result.perSecond),
             result.ratioToBaseline.map { String(format: "%.0f%%", $0 * 100) } ?? "-"]
        }
        let widths = (0..<5).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}

/// Progress lines, so long runs show they are alive (the CLI writes them to stderr).
struct BenchProgress {
    let say: @Sendable (String) -> Void
    func say(_ text: String) { say(text) }
}

/// Where a benchmark writes: a fresh temporary directory, removed afterwards, or the
/// directory of `--db`.
struct BenchWorkspace {
    let directory: URL
    let databasePath: String
    private let isTemporary: Bool

    init(database: String?) throws {
        if let database {
            databasePath = database
            directory = URL(fileURLWithPath: database).deletingLastPathComponent()
            isTemporary = false
        } else {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("nonce-bench-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            databasePath = directory.appendingPathComponent("bench.sqlite").path
            isTemporary = true
        }
    }

    /// A scratch file for a baseline: inside the temporary directory, or beside `--db`.
    func path(_ name: String) -> String {
        directory.appendingPathComponent(isTemporary ? name : "nonce-bench-\(name)").path
    }

    func remove() {
        if isTemporary {
            try? FileManager.default.removeItem(at: directory)
        } else {
            for name in ["baseline-transactions.sqlite", "baseline-bulk.sqlite", "baseline-generated.sqlite", "restart.sqlite"] {
                for suffix in ["", "-wal", "-shm", "-locks"] {
                    try? FileManager.default.removeItem(atPath: path(name) + suffix)
                }
            }
        }
    }
}

/// The limit for shared streams: the same writes one shared nonce makes (update the stream
/// row, insert a history row), one `BEGIN IMMEDIATE` transaction each, synced, with nothing
/// else around them (the per-second rollup's trigger off, as for every baseline).
enum BareTransactionLoop {
    static func run(path: String, count: Int) throws -> Double {
        let store = try SQLiteStore(path: path)
        let record = try store.openStream(named: "baseline", mode: .shared)
        return try store.withConnection { connection in try connection.withTriggersOff {
            let update = try connection.prepare(
                "UPDATE streams SET last_issued = ?, high_water_mark = ?, issued_total = issued_total + 1 WHERE id = ?")
            let insert = try connection.prepare("INSERT INTO history (stream_id, nonce, issued_at, pid) VALUES (?, ?, ?, ?)")
            let start = ContinuousClock.now
            var nonce = Int64(Date().timeIntervalSince1970 * 1e9)
            for _ in 0..<count {
                nonce += 1
                try connection.transaction(.immediate, durable: true) {
                    try update.execute([.integer(nonce), .integer(nonce), .integer(record.id)])
                    try insert.execute([.integer(record.id), .integer(nonce), .integer(nonce), .integer(1)])
                }
            }
            return (ContinuousClock.now - start).seconds
        } }
    }
}

enum SharedStreamBench {
    /// Seconds for `count` nonces from one manager on a shared stream.
    static func inProcess(path: String, count: Int) throws -> Double {
        let manager = try NonceManager(path: path, configuration: .init(stream: "bench-shared-1", mode: .shared))
        defer { try? manager.close() }
        let start = ContinuousClock.now
        for _ in 0..<count { _ = try manager.next() }
        return (ContinuousClock.now - start).seconds
    }

    /// Seconds until `processes` copies of `nonce next --count` on one shared stream are done.
    static func processes(_ processes: Int, path: String, count: Int) throws -> Double {
        try NonceDatabase(path).createStream("bench-shared-n", mode: .shared)
        return try children(processes, ["next", "--count", String(count), "--stream", "bench-shared-n", "--db", path])
    }

    /// Seconds until `processes` copies of this executable with `arguments` are all done.
    static func children(_ processes: Int, _ arguments: [String]) throws -> Double {
        let start = ContinuousClock.now
        let children = try (0..<processes).map { _ in
            let child = Process()
            child.executableURL = selfExecutable
            child.arguments = arguments
            child.standardOutput = FileHandle.nullDevice
            try child.run()
            return child
        }
        for child in children {
            child.waitUntilExit()
            guard child.terminationStatus == 0 else {
                throw BenchError("a benchmark process (nonce \(arguments.first ?? "")) failed with status \(child.terminationStatus)")
            }
        }
        return (ContinuousClock.now - start).seconds
    }

    /// This executable, to run copies of it.
    static var selfExecutable: URL {
        FileManager.default.fileExists(atPath: "/proc/self/exe")
            ? URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            : URL(fileURLWithPath: CommandLine.arguments[0])
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension Duration {
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
