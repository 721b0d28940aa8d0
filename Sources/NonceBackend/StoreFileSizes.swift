/// The database's footprint on disk.
public struct StoreFileSizes: Sendable, Equatable, Codable {
    /// The main database file, in bytes.
    public var database: Int64
    /// The write-ahead log (`-wal`), in bytes; 0 when there is none.
    public var wal: Int64
    /// Every field, as stored.
    package init(database: Int64, wal: Int64) {
        self.database = database
        self.wal = wal
    }
}
