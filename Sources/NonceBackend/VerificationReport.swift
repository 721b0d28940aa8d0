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
