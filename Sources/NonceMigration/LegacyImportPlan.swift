import Foundation
public import NonceBackend


/// Every legacy file read and judged, before anything is written: the floor it would set,
/// and what stands in the way.
///
/// ```swift
/// let plan = try LegacyImportPlan(paths: ["old-bot/data"])
/// let report = try plan.apply(toDatabaseAt: "nonces.sqlite")
/// ```
///
/// Reading never writes: legacy files are opened read-only and nothing else is touched
/// until ``apply(toDatabaseAt:wait:)``.
public struct LegacyImportPlan: Sendable {
    public let options: LegacyImportOptions
    /// Every file examined (and command-line value), in the order given.
    public let files: [LegacyFileReport]
    /// The clock the values were judged against.
    public let judgedAt: Int64

    /// Reads `paths` (files, or directories whose top level and `data/` are searched) and
    /// `values` (nonces not on disk, such as a Redis key's), and judges each.
    public init(paths: [String], values: [String] = [], options: LegacyImportOptions = LegacyImportOptions())
        throws(NonceStoreError)
    {
        guard !paths.isEmpty || !values.isEmpty else { throw .nothingGiven }
        // A blank value is a mistake (an unset shell variable), not "no nonce".
        if values.contains(where: { $0.allSatisfy(\.isWhitespace) }) { throw .emptyValue }
        self.options = options
        let now = options.now ?? WallClock.nanoseconds()
        judgedAt = now
        let horizon = max(options.horizon, options.maxLead)
        let judge = ValueJudge(times: PlausibleTimes(now: now, horizon: horizon), options: options)
        var files = try LegacyFileScanner.candidates(for: paths).map(judge.examine)
        files += values.map { judge.judge(commandLine: $0) }
        self.files = files
    }

    /// The files whose values stop the import.
    public var rejected: [LegacyFileReport] { files.filter { $0.status == .rejected } }

    /// The largest counted value: the floor the import sets, unless the stream is higher.
    public var floor: UInt64? { source?.normalized }

    /// The file that holds ``floor``.
    public var source: LegacyFileReport? {
        files.filter { $0.status == .counted }.max { ($0.normalized ?? 0) < ($1.normalized ?? 0) }
    }
}

/// Judges each file and value against the plausible times and the options.
private struct ValueJudge {
    let times: PlausibleTimes
    let options: LegacyImportOptions

    func examine(_ candidate: LegacyCandidate) -> LegacyFileReport {
        var report = LegacyFileReport(
            path: candidate.path, size: nil, sha256: nil, format: candidate.kind.name, unit: nil, rawValues: [],
            normalized: nil, leadNanoseconds: nil, status: .ignored, reason: "")
        if let problem = candidate.problem {
            report.format = "directory"
            reject(&report, problem)
            return report
        }
        switch candidate.kind {
        case .unrecognized:
            report.size = (try? FileManager.default.attributesOfItem(atPath: candidate.path)[.size] as? NSNumber)?.int64Value
            report.reason = "ignored: the name matches no legacy nonce file"
        case .companion(let companion):
            if case .success(let contents) = LegacyFileReader.load(candidate.path) {
                report.size = contents.size
                report.sha256 = contents.sha256
            }
            report.reason = switch companion {
            case .lockFile: "skipped: a lock file, carries no nonce"
            case .pidFile: "skipped: a PID file, carries no nonce"
            case .offsets: "skipped: smoothing offsets, not a nonce"
            }
        case .nonce(_, let copy):
            switch LegacyFileReader.load(candidate.path) {
            case .failure(let problem):
                if case .tooLarge(let bytes) = problem { report.size = bytes }
                reject(&report, problem)
            case .success(let contents):
                report.size = contents.size
                report.sha256 = contents.sha256
                if contents.size > LegacyFileReader.largestNonceFile {
                    reject(&report, .tooLarge(bytes: contents.size))
                } else {
                    judge(LegacyContent(bytes: contents.prefix), into: &report, copy: copy)
                }
            }
        }
        return report
    }

    func judge(commandLine value: String) -> LegacyFileReport {
        var report = LegacyFileReport(
            path: "(command line)", size: nil, sha256: nil, format: LegacyNonceFormat.commandLine.rawValue, unit: nil,
            rawValues: [], normalized: nil, leadNanoseconds: nil, status: .ignored, reason: "")
        judge(LegacyContent(bytes: Array(value.utf8)), into: &report, copy: .original)
        return report
    }

    private func judge(_ content: LegacyContent, into report: inout LegacyFileReport, copy: LegacyCopy) {
        switch content {
        case .empty:
            report.reason = "ignored: empty, no value (an interrupted write)"
        case .invalid(let problem):
            reject(&report, problem)
        case .values(let values):
            report.rawValues = values
            var best: (unit: NonceUnit, nanoseconds: Int64)?
            for (index, raw) in values.enumerated() {
                switch times.normalize(Substring(raw)) {
                case .failure(let problem):
                    let which = values.count > 1 ? "value \(index + 1) of \(values.count) (\(raw)): " : ""
                    reject(&report, problem, prefix: which)
                    return
                case .success(let reading):
                    if reading.nanoseconds > best?.nanoseconds ?? .min { best = reading }
                }
            }
            guard let best else { return }
            report.unit = best.unit
            // Digits only: never negative.
            report.normalized = UInt64(best.nanoseconds)
            let lead = best.nanoseconds - times.now
            report.leadNanoseconds = lead > 0 ? lead : nil
            var notes: [String] = []
            if values.count > 1 { notes.append("the largest of \(values.count) values") }
            // Units come from the magnitude, so padding changes nothing; said, because no old
            // manager wrote it and a person may want to know who did.
            if let padded = values.first(where: { $0.count > 1 && $0.hasPrefix("0") }) {
                let zeros = padded.prefix { $0 == "0" }.count
                notes.append("written with \(zeros) leading zero(s), read as its number")
            }
            if case .backup(let epoch?) = copy { notes.append("a backup from \(Self.date(epochSeconds: epoch))") }
            if lead > 0 { notes.append("\(LeadText.describe(lead)) ahead of the clock") }
            let maxLead = options.maxLead.wholeNanoseconds
            if lead > maxLead {
                guard options.acceptFuture else {
                    reject(&report, .tooFarAhead(lead: lead, allowed: maxLead))
                    return
                }
                notes.append("accepted ahead of the clock, as asked")
            }
            report.status = .counted
            report.reason = notes.isEmpty ? "counts" : "counts (\(notes.joined(separator: "; ")))"
        }
    }

    private func reject(_ report: inout LegacyFileReport, _ problem: LegacyValueProblem, prefix: String = "") {
        report.status = options.skipInvalid ? .skipped : .rejected
        report.reason = (options.skipInvalid ? "skipped as invalid, as asked: " : "") + prefix + problem.description
    }

    private static func date(epochSeconds: Int64) -> String {
        ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(epochSeconds)))
    }
}
