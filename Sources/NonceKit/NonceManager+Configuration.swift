public import Logging
public import NonceBackend
package import NonceSQLite

extension NonceManager {
    /// How the manager records each nonce it issues.
    public enum HistoryMode: String, Sendable, CaseIterable, Codable {
        /// Rows are written in batches by a background thread; a crash loses at most the
        /// rows not yet flushed (never a nonce's safety: the high-water mark covers them).
        case batched
        /// Each nonce's row is committed durably before the nonce is returned. Slow: one
        /// disk flush per nonce.
        case synchronous
        /// No history rows; counters and marks are still kept.
        case off
    }

    /// Settings for one manager. The defaults suit a trading bot on one API key.
    public struct Configuration: Sendable {
        /// The stream to issue from, usually one per API key.
        public var stream: String
        /// The mode the stream must have: it is created in it when missing, and opening
        /// a stream in the other mode fails. Nil takes the stream as it is (exclusive when new).
        public var mode: StreamMode?
        /// How far ahead of the issued nonces the durable high-water mark is kept. A crash
        /// skips at most this much nonce space; a longer span means fewer disk flushes.
        public var leaseSpan: Duration
        public var history: HistoryMode
        /// Rows per history chunk: a filled chunk wakes the background writer early. The
        /// buffer is a pool of such chunks, reused rather than freed.
        public var historyBatchSize: Int
        /// The longest a row waits before the background writer flushes it.
        public var historyFlushInterval: Duration
        /// Unwritten rows at which issuing waits for the writer (back-pressure), rather than
        /// growing memory or dropping rows. Rounded up to whole chunks; it bounds the
        /// buffer's memory (32 bytes a row without labels: 8 MiB by default).
        public var historyBufferLimit: Int
        /// How long to wait for another process to release the stream: nil fails at once.
        public var claimWait: Duration?
        /// Where nonces take their time from.
        public var clock: any NonceClock
        /// Where the manager logs clock regressions, renewals and failures.
        public var logger: Logger
        /// How long a write waits for its turn at the database's write lock while other
        /// processes hold it; a write fails only when the whole wait passed with no turn.
        public var databaseWait: Duration
        /// Create the database when the file is missing (false: a missing file is an error).
        public var createIfMissing: Bool
        /// The database connection's settings.
        package var store: SQLiteStore.Configuration {
            SQLiteStore.Configuration(busyTimeout: databaseWait, createIfMissing: createIfMissing)
        }
        /// The exchange's call counter to stay under (``RateLimit/starter`` and so on); nil
        /// applies none. Kept in the database: shared by every process and restart.
        public var rateLimit: RateLimit?
        /// A tighter limit for a while after opening (``BurstProtection/startup``); nil for none.
        public var burstProtection: BurstProtection?
        /// How far ``NonceManager/recordRejection(reason:)`` moves the stream.
        public var recovery: RecoverySchedule
        /// A lead over the wall clock beyond which the manager logs a warning (after jumps).
        public var leadWarning: Duration
        /// Automatic history pruning, run by an exclusive stream's background writer; nil
        /// keeps every row (prune with `nonce prune` or ``NonceInspector/pruneHistory(of:issuedBefore:keep:)``).
        public var historyRetention: HistoryRetention?

        public init(
            stream: String = "default",
            mode: StreamMode? = nil,
            leaseSpan: Duration = .seconds(1),
            history: HistoryMode = .batched,
            historyBatchSize: Int = 8_192,
            historyFlushInterval: Duration = .milliseconds(100),
            historyBufferLimit: Int = 1 << 18,
            claimWait: Duration? = nil,
            clock: any NonceClock = SystemClock(),
            logger: Logger = Logger(label: "NonceStore"),
            databaseWait: Duration = .seconds(10),
            createIfMissing: Bool = true,
            rateLimit: RateLimit? = nil,
            burstProtection: BurstProtection? = nil,
            recovery: RecoverySchedule = .standard,
            leadWarning: Duration = .seconds(300),
            historyRetention: HistoryRetention? = nil
        ) {
            self.stream = stream
            self.mode = mode
            self.leaseSpan = leaseSpan
            self.history = history
            self.historyBatchSize = historyBatchSize
            self.historyFlushInterval = historyFlushInterval
            self.historyBufferLimit = historyBufferLimit
            self.claimWait = claimWait
            self.clock = clock
            self.logger = logger
            self.databaseWait = databaseWait
            self.createIfMissing = createIfMissing
            self.rateLimit = rateLimit
            self.burstProtection = burstProtection
            self.recovery = recovery
            self.leadWarning = leadWarning
            self.historyRetention = historyRetention
        }
    }
}
