/// History, and floors recorded in events, left by streams whose row is gone (deleted by
/// hand, or lost to a damaged page): the rule every backend applies before creating a
/// stream, written once.
///
/// Such history stops a stream from being created from the clock, which may be below nonces
/// the exchange has seen: only a creation with a `floor` at or above the history's largest
/// nonce (a legacy import) goes ahead, and the new stream adopts that history and those events.
package struct OrphanedHistory: Sendable, Equatable {
    /// Each stream id whose row is gone, with its largest nonce or recorded floor, by id.
    package let streams: [Stream]

    package struct Stream: Sendable, Equatable {
        package var id: Int64
        package var top: Int64
    }

    /// Merges what a backend found: `(stream id, largest nonce)` from the history and
    /// `(stream id, largest floor)` from the events, for stream ids with no stream row.
    package init(history: [(Int64, Int64)], events: [(Int64, Int64)]) {
        var tops: [Int64: Int64] = [:]
        for (id, top) in history + events { tops[id] = max(tops[id] ?? 0, top) }
        streams = tops.sorted { $0.key < $1.key }.map { Stream(id: $0.key, top: $0.value) }
    }

    /// The largest nonce or floor of them all; nil when nothing is orphaned.
    package var top: Int64? { streams.map(\.top).max() }

    /// Refuses creating stream `name` unless `floor` covers every orphaned nonce.
    package func allowCreating(_ name: String, floor: Int64?, path: String) throws(NonceStoreError) {
        if let top, (floor ?? Int64.min) < top {
            throw NonceStoreError.orphanedHistory(stream: name, largestNonce: top, path: path)
        }
    }

    /// The `history_adopted` event's detail.
    package var adoptionDetail: String {
        "adopted the history and events of \(streams.count) stream(s) whose row was gone, up to nonce \(top ?? 0)"
    }
}
