import Logging
import NonceBackend

extension NonceManager {
    /// Refuses a stream whose unit or ceiling differ from the ones the configuration sets, as
    /// a stream in the other mode is refused: nonces in the wrong unit are refused by the
    /// exchange, or pin the key above every later one.
    static func check(_ record: StreamRecord, keeps configuration: Configuration, rules: StreamRules, database: String) throws(NonceStoreError) {
        let wantsUnit = configuration.unit != nil || configuration.exchange != nil
        let wantsCeiling = configuration.maxNonce != nil || configuration.exchange != nil
        guard (wantsUnit && record.rules.unit != rules.unit) || (wantsCeiling && record.rules.maxNonce != rules.maxNonce) else { return }
        throw NonceStoreError(.invalidArgument, "stream '\(record.name)' in '\(database)' issues in \(record.rules.description), "
            + "not \(rules.description): open it without rules to take its own, or use a stream (and an API key) of those rules",
            stream: record.name, database: database)
    }

    /// Warns (a log line and a `ceiling_near` event) when the stream is within a year, or 1%,
    /// of its ceiling: long before it refuses, so a new key and stream can be set up.
    static func watchCeiling(_ record: StreamRecord, store: any NonceBackend, logger: Logger) throws {
        guard CeilingWatch.isNear(floor: record.floor, rules: record.rules) else { return }
        let left = record.rules.ceiling - record.floor
        logger.warning("the stream is near its ceiling; set up a new API key and stream before it refuses", metadata: [
            "floor": "\(record.floor)", "ceiling": "\(record.rules.ceiling)", "unit": "\(record.rules.unit.rawValue)",
        ])
        var change = StreamChange(streamID: record.id)
        change.events = [EventRow(at: WallClock.nanoseconds(), kind: .ceilingNear, detail:
            "floor \(record.floor) is \(left) \(record.rules.unit.rawValue) below the ceiling \(record.rules.ceiling)")]
        try store.apply(change, durable: false)
    }
}
