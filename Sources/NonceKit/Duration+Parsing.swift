extension Duration {
    /// Parses a duration such as `500ms`, `60s`, `10m`, `2h`, `1d`, `250us` or `100ns`: a
    /// whole number followed by a unit. Returns nil for anything else.
    public init?(parsing text: String) {
        let trimmed = text.trimmingWhitespace()
        let digits = trimmed.prefix { $0.isASCII && $0.isNumber }
        let unit = trimmed.dropFirst(digits.count)
        guard !digits.isEmpty, let value = Int64(digits) else { return nil }
        let nanosecondsPerUnit: Int64
        switch unit {
        case "ns": nanosecondsPerUnit = 1
        case "us", "µs": nanosecondsPerUnit = 1_000
        case "ms": nanosecondsPerUnit = 1_000_000
        case "s": nanosecondsPerUnit = 1_000_000_000
        case "m": nanosecondsPerUnit = 60_000_000_000
        case "h": nanosecondsPerUnit = 3_600_000_000_000
        case "d": nanosecondsPerUnit = 86_400_000_000_000
        default: return nil
        }
        let (total, overflow) = value.multipliedReportingOverflow(by: nanosecondsPerUnit)
        guard !overflow else { return nil }
        self = .nanoseconds(total)
    }
}

extension String {
    func trimmingWhitespace() -> Substring {
        let start = firstIndex { !$0.isWhitespace } ?? endIndex
        let end = lastIndex { !$0.isWhitespace }.map { index(after: $0) } ?? start
        return self[start..<max(start, end)]
    }
}
