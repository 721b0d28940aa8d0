/// What an event records: the closed list the `events` table's CHECK constraint enforces
/// (migration 0007; 0001 on PostgreSQL), so a misspelled kind fails at the write.
public enum EventKind: String, Sendable, Codable, CaseIterable {
    /// The floor moved forward on purpose (manual, or recovery after rejections).
    case jump
    /// The clock stepped back, or a process started with its clock behind the stream's.
    case clockRegression = "clock_regression"
    /// A legacy import raised (or recorded) the floor.
    case `import`
    /// The stream switched between exclusive and shared.
    case mode
    /// The exchange rejected a nonce.
    case rejection
    /// A run of rejections ended with an accepted nonce.
    case recovered
    /// A holder stopped without releasing the stream.
    case uncleanStop = "unclean_stop"
    /// The state row was below the history and was raised to it.
    case floorRepair = "floor_repair"
    /// A new stream adopted history whose stream row was gone.
    case historyAdopted = "history_adopted"
    /// Old history rows were deleted.
    case prune
    /// The stream was copied to or from another database (`nonce copy-stream`).
    case copy
    /// The stream moved to a finer unit; its floor was multiplied.
    case unit
    /// The stream came within a year, or 1%, of its ceiling.
    case ceilingNear = "ceiling_near"
}
