import NonceBackend

/// An automatic pruning policy for a stream's history, applied by the holder of an
/// exclusive stream's background writer. Pruning removes history rows only, never the state
/// that keeps nonces increasing.
public struct HistoryRetention: Sendable, Equatable {
    /// Delete rows issued longer ago than this (nil: no age limit).
    public var olderThan: Duration?
    /// Keep at most this many newest rows (nil: no count limit).
    public var keep: Int64?
    /// How often the writer applies it.
    public var interval: Duration

    public init(olderThan: Duration? = nil, keep: Int64? = nil, interval: Duration = .seconds(60)) {
        self.olderThan = olderThan
        self.keep = keep
        self.interval = interval
    }
}

extension IssuerCore {
    /// Housekeeping the background writer does between writes: the retention policy when
    /// it is due, and the backend's own (a SQLite checkpoint when its log has grown).
    func maintain(lastPrune: inout ContinuousClock.Instant) {
        if let retention = configuration.history.retention, ContinuousClock.now - lastPrune >= retention.interval {
            lastPrune = ContinuousClock.now
            let cutoff = retention.olderThan.map { configuration.timing.clock.now().addingClamped(-$0.wholeNanoseconds) }
            do {
                let result = try store.pruneHistory(stream: streamName, issuedBefore: cutoff, keep: retention.keep)
                if result.deleted > 0 {
                    logger.debug("pruned history", metadata: ["deleted": "\(result.deleted)", "remaining": "\(result.remaining)"])
                }
            } catch {
                logger.warning("pruning the history failed", metadata: ["error": "\(error)"])
            }
        }
        do {
            if try store.checkpointIfDue() == false {
                logger.notice("the write-ahead log could not be checkpointed fully; a reader holds an old snapshot")
            }
        } catch {
            logger.warning("checkpoint failed", metadata: ["error": "\(error)"])
        }
    }
}
