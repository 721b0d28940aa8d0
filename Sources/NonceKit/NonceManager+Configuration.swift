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

    /// Settings for one manager, grouped by concern: which stream, its ``History``,
    /// its ``Protection`` (what keeps the API key out of trouble) and its
    /// ``Timing`` (leases, waits, the clock). The defaults suit a trading bot on one API key:
    ///
    /// ```swift
    /// var configuration = NonceManager.Configuration(stream: "kraken-main")
    /// configuration.protection.rateLimit = .intermediate
    /// configuration.history.retention = HistoryRetention(olderThan: .seconds(30 * 86_400))
    /// ```
    public struct Configuration: Sendable {
        /// The stream to issue from, usually one per API key. Kept in Unicode normal form C,
        /// so a name typed precomposed or decomposed is one stream.
        public var stream: String {
            didSet { if stream.utf8.contains(where: { $0 >= 0x80 }) { stream = StreamName.normalized(stream) } }
        }
        /// The mode the stream must have: it is created in it when missing, and opening
        /// a stream in the other mode fails. Nil takes the stream as it is (exclusive when new).
        public var mode: StreamMode?
        /// The unit the stream must issue in: it is created in it when missing, and opening a
        /// stream in another unit fails. Nil takes the stream's (nanoseconds when new, or the
        /// ``exchange`` preset's).
        public var unit: NonceUnit?
        /// The ceiling the stream must have (its `max_nonce`), as ``unit``. Nil takes the
        /// stream's (none when new, or the ``exchange`` preset's).
        public var maxNonce: Int64?
        /// An exchange preset (``ExchangePreset``): the unit and ceiling a new stream takes
        /// when ``unit`` and ``maxNonce`` are nil. An exchange whose nonce is a timestamp
        /// window or random is refused: a counter does not help there.
        public var exchange: String?
        /// What is recorded of each nonce, and how.
        public var history: History
        /// Rate limits, burst protection and recovery after rejections.
        public var protection: Protection
        /// Leases, waits for other processes, and the clock.
        public var timing: Timing
        /// Where the manager logs clock regressions, renewals and failures.
        public var logger: Logger
        /// Create the database when the file is missing (false: a missing file is an error).
        public var createIfMissing: Bool

        public init(
            stream: String = "default",
            mode: StreamMode? = nil,
            history: History = History(),
            protection: Protection = Protection(),
            timing: Timing = Timing(),
            logger: Logger = Logger(label: "NonceStore"),
            createIfMissing: Bool = true
        ) {
            self.stream = StreamName.normalized(stream)
            self.mode = mode
            self.history = history
            self.protection = protection
            self.timing = timing
            self.logger = logger
            self.createIfMissing = createIfMissing
        }

        /// The rules a new stream gets, and that an existing one must have where set: the
        /// explicit ``unit`` and ``maxNonce``, else the ``exchange`` preset's.
        ///
        /// - Throws: `.invalidArgument` for an unknown exchange or one of another family.
        public func streamRules() throws(NonceStoreError) -> StreamRules {
            let preset = try exchange.map { id throws(NonceStoreError) in try ExchangePreset.counting(id) }
            let rules = StreamRules(unit: unit ?? preset?.unit ?? .nanoseconds, maxNonce: maxNonce ?? preset?.maxNonce,
                                    exchange: preset?.id)
            try rules.validate()
            return rules
        }

        /// The database connection's settings.
        package var store: SQLiteStore.Configuration {
            SQLiteStore.Configuration(busyTimeout: timing.databaseWait, createIfMissing: createIfMissing)
        }

        /// How each issued nonce is recorded in `nonce_history`.
        public struct History: Sendable {
            /// Batched (the default), synchronous, or off.
            public var mode: HistoryMode
            /// Rows per history chunk: a filled chunk wakes the background writer early. The
            /// buffer is a pool of such chunks, reused rather than freed.
            public var batchSize: Int
            /// The longest a row waits before the background writer flushes it.
            public var flushInterval: Duration
            /// Unwritten rows at which issuing waits for the writer (back-pressure), rather than
            /// growing memory or dropping rows. Rounded up to whole chunks; it bounds the
            /// buffer's memory (32 bytes a row without labels: 8 MiB by default).
            public var bufferLimit: Int
            /// Automatic pruning, run by an exclusive stream's background writer; nil keeps
            /// every row (prune with `nonce prune` or ``NonceInspector/pruneHistory(of:issuedBefore:keep:)``).
            public var retention: HistoryRetention?

            public init(
                mode: HistoryMode = .batched,
                batchSize: Int = 8_192,
                flushInterval: Duration = .milliseconds(100),
                bufferLimit: Int = 1 << 18,
                retention: HistoryRetention? = nil
            ) {
                self.mode = mode
                self.batchSize = batchSize
                self.flushInterval = flushInterval
                self.bufferLimit = bufferLimit
                self.retention = retention
            }
        }

        /// What keeps the API key out of trouble with the exchange.
        public struct Protection: Sendable {
            /// The exchange's call counter to stay under (``RateLimit/starter`` and so on); nil
            /// applies none. Kept in the database: shared by every process and restart.
            public var rateLimit: RateLimit?
            /// A tighter limit for a while after opening (``BurstProtection/startup``); nil for none.
            public var burstProtection: BurstProtection?
            /// How far ``NonceManager/recordRejection(reason:)-8h9fw`` moves the stream.
            public var recovery: RecoverySchedule
            /// A lead over the wall clock beyond which the manager logs a warning (after jumps).
            public var leadWarning: Duration

            public init(
                rateLimit: RateLimit? = nil,
                burstProtection: BurstProtection? = nil,
                recovery: RecoverySchedule = .standard,
                leadWarning: Duration = .seconds(300)
            ) {
                self.rateLimit = rateLimit
                self.burstProtection = burstProtection
                self.recovery = recovery
                self.leadWarning = leadWarning
            }
        }

        /// Leases, waits and the clock.
        public struct Timing: Sendable {
            /// How far ahead of the issued nonces the durable high-water mark is kept. A crash
            /// skips at most this much nonce space; a longer span means fewer disk flushes.
            public var leaseSpan: Duration
            /// How long to wait for another process to release the stream: nil fails at once.
            public var claimWait: Duration?
            /// How long a write waits for its turn at the database's write lock while other
            /// processes hold it; a write fails only when the whole wait passed with no turn.
            public var databaseWait: Duration
            /// Where nonces take their time from.
            public var clock: any NonceClock

            public init(
                leaseSpan: Duration = .seconds(1),
                claimWait: Duration? = nil,
                databaseWait: Duration = .seconds(10),
                clock: any NonceClock = SystemClock()
            ) {
                self.leaseSpan = leaseSpan
                self.claimWait = claimWait
                self.databaseWait = databaseWait
                self.clock = clock
            }
        }
    }
}
