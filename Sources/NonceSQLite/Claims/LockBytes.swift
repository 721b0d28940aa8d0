import NonceBackend
/// Where this package's locks sit in the database file: from 2^40 up, far above the 512
/// bytes SQLite locks (from 2^30). Other clients of the SQL contract (the Python module)
/// lock the same bytes.
package enum LockBytes {
    private static let base: Int64 = 1 << 40

    /// A stream's claim: its issuer holds it exclusively, every process of a shared stream shared.
    package static func claim(streamID: Int64) -> Int64 { base + streamID }

    /// A shared stream's API lock across processes (stream ids stay far below 2^32).
    package static func apiLock(streamID: Int64) -> Int64 { base + (1 << 32) + streamID }

    /// The write turn (see ``WriteTurn``).
    package static let writeTurn: Int64 = base + (1 << 33)
}
