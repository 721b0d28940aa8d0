import NonceBackend

/// Issued rows the background writer has not written yet, kept in fixed-size chunks that
/// are reused rather than freed.
///
/// Why chunks: a single growing array makes the issuing thread pay for reallocation,
/// copying and first-touch page faults, and its memory rises and falls by megabytes with
/// every write. With a fixed pool the hot path appends into memory that is already there,
/// the writer takes whole chunks and hands them back, and resident memory stays flat at
/// `chunkLimit` chunks.
struct HistoryBuffer {
    /// Rows per chunk.
    let chunkRows: Int
    /// Chunks that may exist at once: filling, full, being written, or spare.
    let chunkLimit: Int
    /// The chunk being appended to.
    private var current: [HistoryRow] = []
    /// Filled chunks waiting for the writer, in issue order.
    private var full: [[HistoryRow]] = []
    /// Emptied chunks, capacity kept, for reuse.
    private var spare: [[HistoryRow]] = []
    /// Chunks the writer has taken and not yet handed back.
    private(set) var chunksBeingWritten = 0
    private var allocated = 0

    /// - Parameters:
    ///   - limit: at most this many rows wait for the writer (rounded up to whole chunks).
    ///   - chunkRows: rows per chunk; the writer is woken as each fills.
    init(limit: Int, chunkRows: Int) {
        self.chunkRows = max(1, chunkRows)
        // Two at least: one to fill while another is written.
        chunkLimit = max(2, (max(1, limit) + self.chunkRows - 1) / self.chunkRows)
    }

    /// Rows waiting that the writer has not taken.
    var waitingRows: Int { full.count * chunkRows + current.count }

    /// Full chunks waiting for the writer.
    var fullChunks: Int { full.count }

    /// Whether a row can be appended now. Checked before a nonce is taken, so a nonce is
    /// never issued without room for its row.
    var hasRoom: Bool {
        (current.count < current.capacity && current.count < chunkRows) || !spare.isEmpty || allocated < chunkLimit
    }

    /// Appends one row; returns true when it filled a chunk (time to wake the writer).
    /// Callers check ``hasRoom`` first: there is no way to refuse a nonce already issued.
    mutating func append(_ row: HistoryRow) -> Bool {
        if current.count == chunkRows || current.capacity == 0 {
            guard rotate() else { preconditionFailure("history row appended without room; check hasRoom first") }
        }
        current.append(row)
        return current.count == chunkRows
    }

    /// Moves a filled `current` aside and starts on a spare chunk, or a new one while
    /// fewer than `chunkLimit` exist.
    private mutating func rotate() -> Bool {
        let replacement: [HistoryRow]
        if let reused = spare.popLast() {
            replacement = reused
        } else if allocated < chunkLimit {
            var fresh: [HistoryRow] = []
            fresh.reserveCapacity(chunkRows)
            allocated += 1
            replacement = fresh
        } else {
            return false
        }
        if !current.isEmpty { full.append(current) }
        current = replacement
        return true
    }

    /// Takes up to `maxChunks` full chunks for the writer. With none full and
    /// `includePartial`, takes the chunk being filled instead, so rows reach the database
    /// within the flush interval even when issuing is slow.
    mutating func take(maxChunks: Int, includePartial: Bool) -> [[HistoryRow]] {
        var taken: [[HistoryRow]] = []
        if !full.isEmpty {
            let count = min(maxChunks, full.count)
            taken = Array(full.prefix(count))
            full.removeFirst(count)
        } else if includePartial && !current.isEmpty {
            taken = [current]
            current = []  // the next append starts a spare or new chunk
        }
        chunksBeingWritten += taken.count
        return taken
    }

    /// Hands back chunks the writer has written and emptied (capacity kept), for reuse.
    mutating func recycle(_ chunks: [[HistoryRow]]) {
        chunksBeingWritten -= chunks.count
        spare.append(contentsOf: chunks)
    }

    /// Puts back chunks whose write failed, ahead of anything filled since.
    mutating func restore(_ chunks: [[HistoryRow]]) {
        chunksBeingWritten -= chunks.count
        full.insert(contentsOf: chunks, at: 0)
    }
}
