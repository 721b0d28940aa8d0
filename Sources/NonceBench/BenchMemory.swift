import Foundation
import NonceKit
import NonceSQLite

/// Resident memory of a long run with history: does it stay flat?
struct BenchMemory: Codable {
    var nonces: Int
    var seconds: Double
    /// Resident memory once the manager is open, before the first nonce.
    var residentAtStartBytes: Int64
    /// Resident memory sampled at even steps through the run (Linux only; empty elsewhere).
    var residentSamplesBytes: [Int64]
    /// The child process's peak resident memory over its whole life.
    var peakResidentBytes: Int64

    var text: String {
        func mebibytes(_ bytes: Int64) -> String { String(format: "%.1f MiB", Double(bytes) / 1_048_576) }
        let rate = seconds > 0 ? Double(nonces) / seconds : 0
        var line = "memory run, \(nonces) nonces with history (\(String(format: "%.0f", rate))/s): peak resident "
            + "\(mebibytes(peakResidentBytes)), \(mebibytes(residentAtStartBytes)) before the first nonce"
        if let low = residentSamplesBytes.min(), let high = residentSamplesBytes.max() {
            line += ", \(mebibytes(low))-\(mebibytes(high)) while issuing"
        }
        return line
    }
}

enum MemoryBench {
    static let samples = 20

    /// Runs the memory run in a child process (this executable) and returns what it measured.
    static func runChild(path: String, count: Int) throws -> BenchMemory {
        let child = Process()
        child.executableURL = SharedStreamBench.selfExecutable
        child.arguments = [BenchChild.memoryRun, "--db", path, "--count", String(count)]
        let output = Pipe()
        child.standardOutput = output
        try child.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        child.waitUntilExit()
        guard child.terminationStatus == 0 else {
            throw BenchError("the memory run (a child process) failed with status \(child.terminationStatus)")
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(BenchMemory.self, from: data)
    }

    /// Issues `count` nonces with history on a fresh stream, sampling resident memory.
    static func run(path: String, count: Int) throws -> BenchMemory {
        let manager = try NonceManager(path: path, configuration: .init(stream: "bench-memory", history: .init(mode: .batched)))
        let atStart = ResidentMemory.current() ?? 0
        let step = max(1, count / samples)
        var sampled: [Int64] = []
        let start = ContinuousClock.now
        for index in 1...count {
            _ = try manager.next()
            if index % step == 0, let resident = ResidentMemory.current() { sampled.append(resident) }
        }
        try manager.close()
        let seconds = (ContinuousClock.now - start).seconds
        let recorded = try NonceInspector(path: path).stats(of: "bench-memory").issuedTotal
        guard recorded == Int64(count) else { throw BenchError("the memory run recorded \(recorded) of \(count) nonces") }
        return BenchMemory(nonces: count, seconds: seconds, residentAtStartBytes: atStart, residentSamplesBytes: sampled,
                           peakResidentBytes: ResidentMemory.peak())
    }
}

/// This process's resident memory.
enum ResidentMemory {
    /// The peak so far, in bytes. On Linux from `VmHWM` in `/proc/self/status`: the
    /// `getrusage` figure of a spawned child also counts its parent's peak from before the
    /// `exec`, which would charge the memory run with the rest of the bench.
    static func peak() -> Int64 {
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
           let kibibytes = Int64(line.dropFirst("VmHWM:".count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "") {
            return kibibytes * 1024
        }
        var usage = rusage()
        #if os(Linux)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Int64(usage.ru_maxrss) * 1024
        #else
        getrusage(RUSAGE_SELF, &usage)
        return Int64(usage.ru_maxrss)
        #endif
    }

    /// The current figure in bytes, from `/proc/self/statm` (nil where there is none).
    static func current() -> Int64? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int64(fields[1]) else { return nil }
        return pages * Int64(sysconf(Int32(_SC_PAGESIZE)))
    }
}
