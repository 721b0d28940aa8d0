/// History rows to append, in issue order, kept in the chunks they were buffered in.
///
/// The issuing side buffers rows in fixed-size chunks that it reuses; holding them as
/// chunks lets a large batch reach SQLite without first being copied into one big array.
package struct HistoryRows: Sendable, Equatable, Sequence, ExpressibleByArrayLiteral {
    /// The non-empty chunks, in order.
    package private(set) var chunks: [[HistoryRow]]

    package init(_ rows: [HistoryRow] = []) {
        chunks = rows.isEmpty ? [] : [rows]
    }

    package init(chunks: [[HistoryRow]]) {
        self.chunks = chunks.filter { !$0.isEmpty }
    }

    package init(arrayLiteral rows: HistoryRow...) {
        self.init(rows)
    }

    package var isEmpty: Bool { chunks.isEmpty }

    package var count: Int { chunks.reduce(0) { $0 + $1.count } }

    package var last: HistoryRow? { chunks.last?.last }

    package func makeIterator() -> FlattenSequence<[[HistoryRow]]>.Iterator {
        chunks.joined().makeIterator()
    }

    /// Equal when the rows are, however they are chunked.
    package static func == (lhs: HistoryRows, rhs: HistoryRows) -> Bool {
        lhs.elementsEqual(rhs)
    }
}
