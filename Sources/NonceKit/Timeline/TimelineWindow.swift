import NonceBackend

/// A timeline's window cut into buckets: a whole number of seconds wide (the grain of
/// `history_seconds`), a width people read (1 s, 5 s, 30 s, 1 min, 5 min, ..., days), and
/// starting at a multiple of it, so that two timelines of the same width line up.
struct TimelineWindow: Equatable {
    let startSecond: Int64
    let bucketSeconds: Int64
    let bucketCount: Int

    /// The widths, in seconds, below a day; above, whole days.
    static let widths: [Int64] = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1_800, 3_600, 7_200, 10_800, 21_600, 43_200, 86_400]

    /// The most buckets a timeline may ask for: a page's size follows them.
    static let maximumBuckets = 1_000

    /// About `buckets` buckets (at least one, at most one more than asked, for the alignment)
    /// covering `from` to `until`, nanoseconds since the epoch.
    init(from: Int64, until: Int64, buckets: Int) throws(NonceStoreError) {
        guard from >= 0, until > from else {
            throw NonceStoreError(.invalidArgument, "a timeline needs a window that starts at or after 1970 and ends after it starts "
                + "(from \(from), until \(until) ns)")
        }
        // Room to widen the window to whole buckets and still count its end in nanoseconds.
        guard until <= Int64.max / 2 else {
            throw NonceStoreError(.invalidArgument, "a timeline's window must end before the year 2146 (until \(until) ns)")
        }
        guard (1...Self.maximumBuckets).contains(buckets) else {
            throw NonceStoreError(.invalidArgument, "a timeline has 1 to \(Self.maximumBuckets) buckets, not \(buckets)")
        }
        let first = from / 1_000_000_000
        let last = (until + 999_999_999) / 1_000_000_000
        let wanted = (last - first + Int64(buckets) - 1) / Int64(buckets)
        let width = Self.widths.first { $0 >= wanted } ?? (wanted + 86_399) / 86_400 * 86_400
        startSecond = first / width * width
        bucketSeconds = width
        bucketCount = Int((last - startSecond + width - 1) / width)
    }

    /// The first bucket's start and the last one's end, in nanoseconds.
    var from: Int64 { startSecond * 1_000_000_000 }
    var until: Int64 { (startSecond + bucketSeconds * Int64(bucketCount)) * 1_000_000_000 }

    /// Bucket `index`'s start, in nanoseconds.
    func start(of index: Int) -> Int64 { (startSecond + bucketSeconds * Int64(index)) * 1_000_000_000 }
}
