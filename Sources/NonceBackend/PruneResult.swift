/// What a pruning pass removed.
public struct PruneResult: Sendable, Equatable, Codable {
    public var stream: String
    /// History rows deleted.
    public var deleted: Int64
    /// History rows left for the stream.
    public var remaining: Int64
    /// Every field, as stored.
    package init(stream: String, deleted: Int64, remaining: Int64) {
        self.stream = stream
        self.deleted = deleted
        self.remaining = remaining
    }
}
