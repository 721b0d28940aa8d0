/// History rows to append, in issue order, kept in the chunks they were buffered in.
///
/// The issuing side buffers rows in fixed-size chunks that it reuses; holding them as
/// chunks lets a large batch reach SQLite without first being copied into one big array.
public struct HistoryRows: Sendable, Equatable, Sequence, ExpressibleByArrayLiteral {
    /// The non-empty chunks, in order.
    public private(set) var chunks: [[HistoryRow]]

    public init(_ rows: [HistoryRow] = []) {
        chunks = rows.isEmpty ? [] : [rows]
    }

    public init(chunks: [[HistoryRow]]) {
        self.chunks = chunks.filter { !$0.isEmpty }
    }

    public init(arrayLiteral rows: HistoryRow...) {
        self.init(rows)
    }

    public var isEmpty: Bool { chunks.isEmpty }

    public var count: Int { chunks.reduce(0) { $0 + $1.count } }

    public var last: HistoryRow? { chunks.last?.last }

    public func makeIterator() -> FlattenSequence<[[HistoryRow]]>.Iterator {
        chunks.joined().makeIterator()
    }

    /// Equal when the rows are, however they are chunked.
    public static func == (lhs: HistoryRows, rhs: HistoryRows) -> Bool {
        lhs.elementsEqual(rhs)
    }
}
