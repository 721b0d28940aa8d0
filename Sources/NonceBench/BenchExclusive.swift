import Foundation
import NonceKit
import NonceBackend
import NonceSQLite
import Synchronization

/// The exclusive-stream measurements and their baselines.
enum ExclusiveBench {
    /// The limit for issuing in memory: a mutex around `max(clock, last + 1)`, nothing else.
    static func mutexClockBaseline(count: Int) -> Double {
        let clock = SystemClock()
        let last = Mutex<Int64>(0)
        let start = ContinuousClock.now
        for _ in 0..<count {
            last.withLock { last in last = max(clock.now(), last + 1) }
        }
        return (ContinuousClock.now - start).seconds
    }

    /// Seconds for `count` nonces split over `threads` threads, on a fresh exclusive stream.
    static func issue(path: String, stream: String, count: Int, history: NonceManager.HistoryMode, threads: Int) throws -> Double {
        let manager = try NonceManager(path: path, configuration: .init(stream: stream, history: .init(mode: history)))
        let failures = Atomic<Int>(0)
        let start = ContinuousClock.now
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            let share = count / threads + (thread < count % threads ? 1 : 0)
            for _ in 0..<share where (try? manager.next()) == nil {
                failures.add(1, ordering: .relaxed)
            }
        }
        // Closing writes the last history rows: part of the cost of recording them.
        try manager.close()
        let seconds = (ContinuousClock.now - start).seconds
        if failures.load(ordering: .relaxed) > 0 { throw BenchError("\(failures.load(ordering: .relaxed)) nonces failed") }
        return seconds
    }

    /// Per-call latency of `count` single calls, back to back, split over `threads`
    /// threads, on a fresh exclusive stream.
    static func latencies(path: String, stream: String, count: Int, history: NonceManager.HistoryMode, threads: Int) throws -> BenchLatency {
        let manager = try NonceManager(path: path, configuration: .init(stream: stream, history: .init(mode: history)))
        defer { try? manager.close() }
        let perThread = Mutex<[[Int64]]>([])
        let failures = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            let share = count / threads + (thread < count % threads ? 1 : 0)
            var samples = [Int64](repeating: 0, count: share)
            for index in 0..<share {
                let start = ContinuousClock.now
                if (try? manager.next()) == nil { failures.add(1, ordering: .relaxed) }
                samples[index] = (ContinuousClock.now - start).wholeNanoseconds
            }
            perThread.withLock { $0.append(samples) }
        }
        if failures.load(ordering: .relaxed) > 0 { throw BenchError("\(failures.load(ordering: .relaxed)) nonces failed") }
        let name = "history \(history == .off ? "off" : "on"), \(threads) thread(s)"
        return BenchLatency(name: name, samples: perThread.withLock { $0.flatMap { $0 } })
    }

    /// The limit for recording history: the same rows inserted with one prepared statement,
    /// in transactions of 8,192 rows, with nothing else around them. Leaves them in stream
    /// `stream` for the restart measurement.
    static func bulkInsertBaseline(path: String, stream: String, rows: Int) throws -> Double {
        let store = try SQLiteStore(path: path)
        let record = try store.openStream(named: stream, mode: .exclusive)
        var nonce = SystemClock().now() - Int64(rows)
        let start = ContinuousClock.now
        // Triggers off: the bare rows, without the per-second rollup the product adds (as before it had one).
        try store.withConnection { connection in try connection.withTriggersOff {
            let insert = try connection.prepare("INSERT INTO history (stream_id, nonce, issued_at, pid, label) VALUES (?, ?, ?, ?, NULL)")
            var written = 0
            while written < rows {
                let batch = min(8_192, rows - written)
                try connection.transaction(.immediate) {
                    try insert.bind(record.id, at: 1)
                    try insert.bind(Int64(1), at: 4)
                    for _ in 0..<batch {
                        nonce += 1
                        try insert.bind(nonce, at: 2)
                        try insert.bind(nonce, at: 3)
                        try insert.step()
                        insert.reset()
                    }
                }
                written += batch
            }
            var change = StreamChange(streamID: record.id)
            change.lastIssued = nonce
            change.highWaterMark = nonce
            change.issuedDelta = Int64(rows)
            try SQLiteStore.apply(change, on: connection)
        } }
        return (ContinuousClock.now - start).seconds
    }

    /// SQLite's own limit for the same rows: generated inside SQLite by one
    /// `INSERT ... SELECT` over a recursive counter, in transactions of 32,768 rows, into the
    /// same table with the same index. No binding, no statement step per row from Swift.
    static func generatedInsertBaseline(path: String, rows: Int) throws -> Double {
        let store = try SQLiteStore(path: path)
        let record = try store.openStream(named: "generated", mode: .exclusive)
        let first = SystemClock().now() - Int64(rows)
        let start = ContinuousClock.now
        try store.withConnection { connection in try connection.withTriggersOff {
            let insert = try connection.prepare("""
                WITH RECURSIVE counter(n) AS (SELECT ?1 UNION ALL SELECT n + 1 FROM counter WHERE n < ?2)
                INSERT INTO history (stream_id, nonce, issued_at, pid, label) SELECT ?3, n, n, 1, NULL FROM counter
                """)
            var written = 0
            while written < rows {
                let batch = min(32_768, rows - written)
                let from = first + Int64(written) + 1
                try connection.transaction(.immediate) {
                    try insert.execute([.integer(from), .integer(from + Int64(batch) - 1), .integer(record.id)])
                }
                written += batch
            }
        } }
        return (ContinuousClock.now - start).seconds
    }

    /// Seconds from opening the database (and the stream with its history) to the first nonce.
    static func restart(path: String, stream: String) throws -> Double {
        let start = ContinuousClock.now
        let manager = try NonceManager(path: path, configuration: .init(stream: stream))
        _ = try manager.next()
        let seconds = (ContinuousClock.now - start).seconds
        try manager.close()
        return seconds
    }
}
