package import NonceBackend

extension NonceManager {
    /// The figures of `stream` as the database holds them, without claiming the stream:
    /// what `nonce stats` shows while another process may be issuing.
    package static func stats(of stream: String, in store: any NonceBackend, clock: any NonceClock = SystemClock()) throws -> NonceStats {
        guard let record = try store.stream(named: stream) else { throw NonceStoreError.streamNotFound(stream, path: store.path) }
        let held = store.isHeld(record)
        var stats = NonceStats(record: record, now: clock.now(), holderPID: held && record.mode == .exclusive ? record.holderPID : nil)
        stats.isHeld = held
        let sizes = store.fileSizes()
        stats.databaseBytes = sizes.database
        stats.walBytes = sizes.wal
        return stats
    }
}
