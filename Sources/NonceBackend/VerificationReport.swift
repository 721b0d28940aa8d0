/// What ``SQLiteStore/verify(stream:)`` found.
public struct VerificationReport: Sendable, Codable, Equatable {
    /// One broken rule, in words a person can act on.
    public struct Problem: Sendable, Codable, Equatable, CustomStringConvertible {
        /// The stream at fault, or nil for the file as a whole.
        public var stream: String?
        public var message: String
        public var description: String { stream.map { "stream '\($0)': \(message)" } ?? message }

        /// Writes `stream` as `null` for a problem of the whole file.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(stream, forKey: .stream)
            try container.encode(message, forKey: .message)
        }
            /// Every field, as stored.
        package init(stream: String? = nil, message: String) {
            self.stream = stream
            self.message = message
        }
}

    /// The streams that were checked.
    public var streamsChecked: [String]
    public var historyRowsChecked: Int64
    public var problems: [Problem]
    /// True when every check passed.
    public var isValid: Bool { problems.isEmpty }
    /// Every field, as stored.
    package init(streamsChecked: [String], historyRowsChecked: Int64, problems: [Problem]) {
        self.streamsChecked = streamsChecked
        self.historyRowsChecked = historyRowsChecked
        self.problems = problems
    }
}

/// What a backend measures of one stream's history for `verify`; the judgement of those
/// figures is written once, here, for every backend.
package struct HistorySummary: Sendable, Equatable {
    package var count: Int64
    package var distinct: Int64
    package var maximum: Int64?
    package var minimum: Int64?
    /// Rows whose nonce is not above the one issued before them (issue order: row id order).
    package var outOfOrder: Int64
    /// The first such row's id.
    package var firstOutOfOrder: Int64?
    /// Seconds (per process and label) of the history that `history_seconds` counts short of
    /// it, or lacks: a writer that bypassed the rollup. More there is fine (pruning keeps it).
    package var rollupShort: Int64
    /// The first such second (since the epoch).
    package var firstRollupShortSecond: Int64?

    package init(count: Int64, distinct: Int64, maximum: Int64?, minimum: Int64?, outOfOrder: Int64, firstOutOfOrder: Int64?,
                 rollupShort: Int64 = 0, firstRollupShortSecond: Int64? = nil) {
        self.count = count
        self.distinct = distinct
        self.maximum = maximum
        self.minimum = minimum
        self.outOfOrder = outOfOrder
        self.firstOutOfOrder = firstOutOfOrder
        self.rollupShort = rollupShort
        self.firstRollupShortSecond = firstRollupShortSecond
    }

    /// The broken rules, in words a person can act on: the state row against itself and
    /// against this history.
    package func problems(for record: StreamRecord) -> [String] {
        var problems: [String] = []
        if record.lastIssued > record.highWaterMark {
            problems.append("last_issued \(record.lastIssued) is above the high-water mark \(record.highWaterMark)")
        }
        if distinct != count { problems.append("history holds \(count - distinct) duplicate nonce(s)") }
        if let maximum, maximum > record.lastIssued {
            problems.append("history holds nonce \(maximum), above last_issued \(record.lastIssued)")
        }
        if let minimum, minimum <= 0 { problems.append("history holds a non-positive nonce \(minimum)") }
        if outOfOrder > 0 {
            problems.append("history is not strictly increasing in issue order: \(outOfOrder) row(s) not above their "
                + "predecessor, first at history id \(firstOutOfOrder ?? 0)")
        }
        if rollupShort > 0 {
            problems.append("history_seconds counts fewer nonces than the history in \(rollupShort) second(s) (per process "
                + "and label), first at second \(firstRollupShortSecond ?? 0) since the epoch: a writer bypassed the rollup, "
                + "so `nonce timeline` shows fewer nonces there than were issued")
        }
        return problems
    }
}
