#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a write-ahead log the way SQLite's recovery does, before SQLite does, to find
/// committed transactions that recovery would drop without a word.
///
/// SQLite rebuilds its index of the log from the file when the first connection opens it
/// (after every process using it stopped, kill -9 included), accepting frames up to the
/// last commit before the first frame whose checksum fails. One damaged byte early in the
/// log therefore loses every commit after it, the newest high-water marks among them, and
/// the next nonce could be below nonces already sent. Each frame's checksum is seeded by
/// the checksum stored in the frame before it, so frames after a damaged one can still be
/// checked one by one: valid commits found beyond the damage mean that committed work
/// would be lost.
///
/// One valid commit beyond the damage is allowed: that can be the last transaction torn by
/// a power loss before its sync returned, which never issued a nonce. Two cannot: the
/// second began only after the first was committed.
///
/// Related SQLite documentation: <https://sqlite.org/fileformat2.html#the_write_ahead_log>
struct WriteAheadLogCheck {
    /// Where recovery stops and what it would drop.
    struct Damage: Equatable {
        /// The first frame recovery rejects (0-based), or nil when the log header itself is bad.
        let frame: Int?
        /// The byte offset of that frame (or 0 for the header).
        let offset: Int
        /// Commits beyond it whose frames are intact.
        let commitsLost: Int
    }

    /// Checks the log at `path` of a database whose pages are `pageSize` bytes (the log's
    /// own header may be the damaged part); nil when it is absent, empty or whole.
    static func damage(inLog path: String, pageSize: Int) -> Damage? {
        guard let bytes = read(path), bytes.count >= 32 else { return nil }
        let magic = word(bytes, 0)
        // A damaged magic number makes recovery ignore the whole log; this machine's SQLite
        // writes its native (little-endian) order, 0x377F0682.
        let magicValid = magic == 0x377F_0682 || magic == 0x377F_0683
        let bigEndian = magic == 0x377F_0683
        guard pageSize >= 512, pageSize <= 65_536, pageSize & (pageSize - 1) == 0 else { return nil }
        let frameSize = 24 + pageSize
        let frames = (bytes.count - 32) / frameSize
        let headerStored = (word(bytes, 24), word(bytes, 28))
        let headerValid = magicValid && Int(word(bytes, 8)) == pageSize
            && checksum(bytes, 0..<24, seed: (0, 0), bigEndian: bigEndian) == headerStored
        // Salts: the header's, or (header damaged) the first frame's.
        let salts = headerValid || frames == 0 ? (word(bytes, 16), word(bytes, 20)) : (word(bytes, 32 + 8), word(bytes, 32 + 12))

        func frameIsValid(_ index: Int, seed: (UInt32, UInt32)) -> (valid: Bool, commit: Bool) {
            let start = 32 + index * frameSize
            guard (word(bytes, start + 8), word(bytes, start + 12)) == salts else { return (false, false) }
            var sum = checksum(bytes, start..<start + 8, seed: seed, bigEndian: bigEndian)
            sum = checksum(bytes, start + 24..<start + frameSize, seed: sum, bigEndian: bigEndian)
            return (sum == (word(bytes, start + 16), word(bytes, start + 20)), word(bytes, start + 4) != 0)
        }
        func storedChecksum(before index: Int) -> (UInt32, UInt32) {
            index == 0 ? headerStored : (word(bytes, 32 + (index - 1) * frameSize + 16), word(bytes, 32 + (index - 1) * frameSize + 20))
        }

        // Recovery's view: the first frame that fails the running checksum, or whose salts
        // are not this log's (frames of an earlier generation end it normally).
        var firstBad = -1
        if headerValid {
            firstBad = frames
            var running = headerStored
            for index in 0..<frames {
                let start = 32 + index * frameSize
                var sum = checksum(bytes, start..<start + 8, seed: running, bigEndian: bigEndian)
                sum = checksum(bytes, start + 24..<start + frameSize, seed: sum, bigEndian: bigEndian)
                guard (word(bytes, start + 8), word(bytes, start + 12)) == salts,
                      sum == (word(bytes, start + 16), word(bytes, start + 20)) else {
                    firstBad = index
                    break
                }
                running = sum
            }
        }
        // Beyond it, frames of this log whose own checksums hold: commits recovery drops.
        var commitsLost = 0
        if firstBad + 1 < frames {
            for index in (firstBad + 1)..<frames {
                let frame = frameIsValid(index, seed: storedChecksum(before: index))
                if frame.valid && frame.commit { commitsLost += 1 }
            }
        }
        guard commitsLost >= 2 else { return nil }
        return Damage(frame: firstBad < 0 ? nil : firstBad, offset: firstBad < 0 ? 0 : 32 + firstBad * frameSize,
                      commitsLost: commitsLost)
    }

    /// SQLite's log checksum: two running sums over 32-bit words, in the byte order the
    /// log's magic number names.
    private static func checksum(
        _ bytes: [UInt8], _ range: Range<Int>, seed: (UInt32, UInt32), bigEndian: Bool
    ) -> (UInt32, UInt32) {
        var (s1, s2) = seed
        var offset = range.lowerBound
        while offset + 8 <= range.upperBound {
            let a = bigEndian ? word(bytes, offset) : littleWord(bytes, offset)
            let b = bigEndian ? word(bytes, offset + 4) : littleWord(bytes, offset + 4)
            s1 = s1 &+ a &+ s2
            s2 = s2 &+ b &+ s1
            offset += 8
        }
        return (s1, s2)
    }

    private static func word(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    private static func littleWord(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(bytes[offset + 3]) << 24 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset])
    }

    /// The whole file, or nil when it cannot be read.
    private static func read(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_size > 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var done = 0
        while done < bytes.count {
            let count = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, $0.count - done, off_t(done)) }
            if count <= 0 { break }
            done += count
        }
        return Array(bytes.prefix(done))
    }
}
