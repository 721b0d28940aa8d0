public import NonceBackend
import Foundation
import NonceSchema

/// An exchange's nonce rule, from the one list the Swift library, the `nonce` command and
/// the Python package share (`Migrations/exchange-presets.json`, compiled in).
public struct ExchangePreset: Sendable, Equatable, Codable {
    /// How an exchange judges a nonce.
    public enum Family: String, Sendable, Codable {
        /// Strictly increasing per API key: what a stream is for.
        case increasing
        /// A timestamp within a window of the server's time: a counter that runs ahead of the
        /// clock (several nonces in one step of a coarse unit) is refused there.
        case window
        /// A random nonce or an expiry: there is nothing to count.
        case random
    }

    /// The id ccxt uses for the exchange.
    public var id: String
    public var name: String
    public var family: Family
    /// The unit a stream takes: the unit the exchange's common client sends, so that going
    /// back to the client's own nonces stays possible once the clock passes the stream's lead.
    public var unit: NonceUnit?
    /// The largest nonce the exchange takes, when it states one.
    public var maxNonce: Int64?
    /// The rule, in a sentence.
    public var rule: String
    /// Where the rule is written.
    public var source: String

    enum CodingKeys: String, CodingKey {
        case id, name, family, unit, maxNonce = "max_nonce", rule, source
    }

    /// Every preset, as listed.
    public static let all: [ExchangePreset] = {
        struct List: Decodable { var exchanges: [ExchangePreset] }
        // A build-time resource: a parse failure is a packaging bug, caught by the tests.
        return (try? JSONDecoder().decode(List.self, from: Data(ExchangePresetsFile.bytes)))?.exchanges ?? []
    }()

    /// The preset called `id` (case-insensitive), or nil.
    public static func named(_ id: String) -> ExchangePreset? {
        all.first { $0.id == id.lowercased() }
    }

    /// The preset of an exchange that counts nonces, for a stream.
    ///
    /// - Throws: `.invalidArgument` naming the known ids for an unknown one, and saying why a
    ///   counter does not help for a window or random-nonce exchange.
    public static func counting(_ id: String) throws(NonceStoreError) -> ExchangePreset {
        guard let preset = named(id) else {
            throw NonceStoreError(.invalidArgument, "no exchange preset '\(id)'; the exchanges that count nonces: "
                + all.filter { $0.family == .increasing }.map(\.id).joined(separator: ", "))
        }
        switch preset.family {
        case .increasing:
            return preset
        case .window:
            throw NonceStoreError(.invalidArgument, "\(preset.name) takes \(preset.rule) (\(preset.source)): not a counter. "
                + "A stream's nonce runs ahead of the clock whenever more than one is issued in a step, and \(preset.name) "
                + "refuses those; keep the host's clock close to the exchange's instead")
        case .random:
            throw NonceStoreError(.invalidArgument, "\(preset.name) takes \(preset.rule) (\(preset.source)): there is nothing "
                + "to count, so a nonce store does not help")
        }
    }
}
