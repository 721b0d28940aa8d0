/// What a command that changes something prints with `--json`: one object, every key
/// present (absent values as `null`), snake_case keys.
struct CommandResult: Encodable {
    var stream: String
    var nonces: [UInt64]? = nil
    var floor: UInt64? = nil
    var jumpNanoseconds: Int64? = nil
    var rejectionsInARow: Int64? = nil
    var mode: String? = nil
    var unit: String? = nil
    var maxNonce: Int64? = nil
    var exchange: String? = nil
    var created: Bool? = nil
    var changed: Bool? = nil

    /// The keys each command reports; the others are left out rather than always null.
    let keys: Set<String>

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(stream, forKey: Key("stream"))
        func put<T: Encodable>(_ name: String, _ value: T?) throws {
            if keys.contains(name) { try container.encode(value, forKey: Key(name)) }
        }
        try put("nonces", nonces)
        try put("floor", floor)
        try put("jumpNanoseconds", jumpNanoseconds)
        try put("rejectionsInARow", rejectionsInARow)
        try put("mode", mode)
        try put("unit", unit)
        try put("maxNonce", maxNonce)
        try put("exchange", exchange)
        try put("created", created)
        try put("changed", changed)
    }

    private struct Key: CodingKey {
        let stringValue: String
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }
}
