/// A stream whose state row was below its own history, brought back up.
package struct FloorRepair: Sendable, Equatable {
    /// The stream repaired.
    package var stream: String
    /// The floor the state row gave: `max(last_issued, high_water_mark)`.
    package var stateFloor: Int64
    /// The largest nonce in the stream's history: the floor now.
    package var historyFloor: Int64
    /// Every field, as stored.
    package init(stream: String, stateFloor: Int64, historyFloor: Int64) {
        self.stream = stream
        self.stateFloor = stateFloor
        self.historyFloor = historyFloor
    }
}
