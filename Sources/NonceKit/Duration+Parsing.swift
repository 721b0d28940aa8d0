extension Duration {
    /// The forms ``init(parsing:)`` reads, for help texts and errors.
    public static let parsingForms = "a number and a unit (ns, us or µs, ms, s, m, h, d), or several: 500ms, 1.5s, 1h30m, 250us, 2d"

    /// Parses a duration as people type them: a number (whole or decimal) and a unit, or
    /// several summed (`1h30m`), optionally negative (`-5s`, so that a caller can say it
    /// must be positive rather than that it did not parse). Units: `ns`, `us` or `µs`, `ms`,
    /// `s`, `m`, `h`, `d`. Returns nil for anything else, or beyond 2^63-1 ns.
    public init?(parsing text: String) {
        var rest = Substring(text.trimmingWhitespace())
        let negative = rest.first == "-"
        if negative { rest = rest.dropFirst() }
        guard !rest.isEmpty else { return nil }
        var total: Int64 = 0
        while !rest.isEmpty {
            let whole = rest.prefix { $0.isASCII && $0.isNumber }
            rest = rest.dropFirst(whole.count)
            var fraction: Substring = ""
            if rest.first == "." {
                fraction = rest.dropFirst().prefix { $0.isASCII && $0.isNumber }
                rest = rest.dropFirst(1 + fraction.count)
                guard !fraction.isEmpty else { return nil }
            }
            let unitText = rest.prefix { !($0.isASCII && $0.isNumber) && $0 != "." }
            rest = rest.dropFirst(unitText.count)
            guard !whole.isEmpty || !fraction.isEmpty, let unit = Self.unitNanoseconds[String(unitText)],
                  let wholeValue = whole.isEmpty ? 0 : Int64(whole)
            else { return nil }
            let (scaled, overflow) = wholeValue.multipliedReportingOverflow(by: unit)
            guard !overflow else { return nil }
            // The fraction's share, rounded to the nanosecond (fractions of a nanosecond are noise).
            let fractionValue = fraction.isEmpty ? 0 : Int64((Double("0." + fraction)! * Double(unit)).rounded())
            let (component, overflow2) = scaled.addingReportingOverflow(fractionValue)
            let (sum, overflow3) = total.addingReportingOverflow(component)
            guard !overflow2, !overflow3 else { return nil }
            total = sum
        }
        self = .nanoseconds(negative ? -total : total)
    }

    private static let unitNanoseconds: [String: Int64] = [
        "ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": 1_000_000_000,
        "m": 60_000_000_000, "h": 3_600_000_000_000, "d": 86_400_000_000_000,
    ]
}

extension String {
    func trimmingWhitespace() -> Substring {
        let start = firstIndex { !$0.isWhitespace } ?? endIndex
        let end = lastIndex { !$0.isWhitespace }.map { index(after: $0) } ?? start
        return self[start..<max(start, end)]
    }
}
