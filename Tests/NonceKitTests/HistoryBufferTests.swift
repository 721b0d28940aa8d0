@testable import NonceKit
import NonceBackend
import NonceSQLite
import Testing

@Suite("History buffer")
struct HistoryBufferTests {
    private func row(_ nonce: Int64) -> HistoryRow { HistoryRow(nonce: nonce, issuedAt: nonce) }

    /// Appends while there is room; returns how many went in.
    private func fill(_ buffer: inout HistoryBuffer, from start: Int64, upTo count: Int) -> Int {
        var appended = 0
        while appended < count && buffer.hasRoom {
            _ = buffer.append(row(start + Int64(appended)))
            appended += 1
        }
        return appended
    }

    @Test("room runs out at the limit, rounded up to whole chunks, and each filled chunk is reported")
    func limit() {
        var buffer = HistoryBuffer(limit: 10, chunkRows: 4)
        #expect(buffer.chunkLimit == 3)
        var filled = 0
        var appended = 0
        while buffer.hasRoom {
            if buffer.append(row(Int64(appended))) { filled += 1 }
            appended += 1
        }
        #expect(appended == 12)
        #expect(filled == 3)
        #expect(buffer.waitingRows == 12)
    }

    @Test("the writer takes chunks oldest first, at most as many as asked, then the partial one")
    func takeInOrder() {
        var buffer = HistoryBuffer(limit: 100, chunkRows: 4)
        #expect(fill(&buffer, from: 0, upTo: 14) == 14)
        let first = buffer.take(maxChunks: 2, includePartial: true)
        #expect(first.flatMap { $0 }.map(\.nonce) == Array(0..<8))
        let second = buffer.take(maxChunks: 2, includePartial: true)
        #expect(second.flatMap { $0 }.map(\.nonce) == Array(8..<12))
        #expect(buffer.take(maxChunks: 2, includePartial: false).isEmpty)
        let partial = buffer.take(maxChunks: 2, includePartial: true)
        #expect(partial.flatMap { $0 }.map(\.nonce) == [12, 13])
        #expect(buffer.chunksBeingWritten == 4)
        #expect(buffer.waitingRows == 0)
    }

    @Test("recycled chunks are reused: memory is allocated once, then callers wait for the writer")
    func reuse() {
        var buffer = HistoryBuffer(limit: 8, chunkRows: 4)
        var next: Int64 = 0
        var addresses = Set<UnsafeRawPointer>()
        for _ in 0..<50 {
            next += Int64(fill(&buffer, from: next, upTo: 1_000))
            #expect(!buffer.hasRoom)
            var chunks = buffer.take(maxChunks: 10, includePartial: true)
            for index in chunks.indices {
                _ = chunks[index].withUnsafeBufferPointer { addresses.insert(UnsafeRawPointer($0.baseAddress!)) }
                chunks[index].removeAll(keepingCapacity: true)
            }
            buffer.recycle(chunks)
        }
        #expect(addresses.count <= buffer.chunkLimit)
    }

    @Test("chunks whose write failed go back ahead of newer rows")
    func restore() {
        var buffer = HistoryBuffer(limit: 100, chunkRows: 4)
        _ = fill(&buffer, from: 0, upTo: 9)
        let failed = buffer.take(maxChunks: 1, includePartial: true)
        _ = fill(&buffer, from: 9, upTo: 4)
        buffer.restore(failed)
        #expect(buffer.chunksBeingWritten == 0)
        var order: [Int64] = []
        while true {
            let taken = buffer.take(maxChunks: 1, includePartial: true)
            if taken.isEmpty { break }
            order += taken.flatMap { $0 }.map(\.nonce)
        }
        #expect(order == Array(0..<13))
    }
}
