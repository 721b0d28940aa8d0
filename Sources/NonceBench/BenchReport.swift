import Foundation

/// Everything one `nonce bench` run measured; parts left out with `--only` are nil.
public struct BenchReport: Encodable, Sendable {
    var results: [BenchResult] = []
    /// Single-call latencies: history off and on, 1 and 2 threads.
    var latencies: [BenchLatency] = []
    var restart: BenchRestart?
    var memory: BenchMemory?

    private enum CodingKeys: String, CodingKey { case results, latencies, restart, memory }

    /// Writes a part left out with `--only` as `null` rather than leaving its key out.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(results, forKey: .results)
        try container.encode(latencies, forKey: .latencies)
        try container.encode(restart, forKey: .restart)
        try container.encode(memory, forKey: .memory)
    }

    /// The report for people: a table of figures with their ratios, then the other parts.
    public var text: String {
        var parts: [String] = []
        if !results.isEmpty { parts.append(BenchResult.table(results) + "\n") }
        parts += latencies.map(\.text)
        if let restart {
            parts.append("restart with \(restart.rows) history rows: \(String(format: "%.2f ms", restart.seconds * 1_000)) to the first nonce")
        }
        if let memory { parts.append(memory.text) }
        return parts.joined(separator: "\n")
    }
}

/// Single-call latency percentiles, in nanoseconds.
struct BenchLatency: Codable {
    var name: String
    var samples: Int
    var p50: Int64
    var p99: Int64
    var p999: Int64
    var p9999: Int64
    var max: Int64
    /// Calls that took longer than 10 µs.
    var over10Microseconds: Int

    /// Percentiles of `samples` (nanoseconds, any order).
    init(name: String, samples: [Int64]) {
        self.name = name
        let sorted = samples.sorted()
        func percentile(_ p: Double) -> Int64 {
            sorted.isEmpty ? 0 : sorted[Swift.min(sorted.count - 1, Int(Double(sorted.count) * p))]
        }
        self.samples = sorted.count
        p50 = percentile(0.5)
        p99 = percentile(0.99)
        p999 = percentile(0.999)
        p9999 = percentile(0.9999)
        max = sorted.last ?? 0
        over10Microseconds = sorted.count - sorted.partitioningIndex { $0 > 10_000 }
    }

    var text: String {
        func micro(_ nanoseconds: Int64) -> String { String(format: "%.2f µs", Double(nanoseconds) / 1_000) }
        return "single exclusive calls (\(samples), \(name)): p50 \(micro(p50)), p99 \(micro(p99)), "
            + "p99.9 \(micro(p999)), p99.99 \(micro(p9999)), max \(micro(max)); \(over10Microseconds) over 10 µs"
    }
}

/// Time from opening a database with `rows` history rows to the first nonce.
struct BenchRestart: Codable {
    var rows: Int
    var seconds: Double
}

extension Array where Element: Comparable {
    /// The first index whose element satisfies `predicate`, for a sorted array where the
    /// predicate is false then true.
    fileprivate func partitioningIndex(where predicate: (Element) -> Bool) -> Int {
        var low = 0, high = count
        while low < high {
            let middle = (low + high) / 2
            if predicate(self[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
