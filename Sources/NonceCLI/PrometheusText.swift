import NonceKit

/// Every stream's figures in the Prometheus text exposition format (version 0.0.4), the
/// persisted counterparts of the metrics the library emits through swift-metrics.
enum PrometheusText {
    private struct Family: Sendable {
        let name: String
        let type: String
        let help: String
        let value: @Sendable (NonceStats) -> Sample
    }

    /// A sample's value: integers are printed exactly (a nonce has 19 digits, more than a
    /// Double keeps), everything else as a decimal.
    enum Sample: ExpressibleByIntegerLiteral {
        case integer(Int64)
        case decimal(Double)
        init(integerLiteral value: Int64) { self = .integer(value) }

        var text: String {
            switch self {
            case .integer(let value): String(value)
            case .decimal(let value): String(value)
            }
        }
    }

    private static let families: [Family] = [
        Family(name: "noncestore_issued_total", type: "counter",
               help: "Nonces issued over the stream's life (a lower bound once unclean stops > 0).") { .integer($0.issuedTotal) },
        Family(name: "noncestore_unclean_stops_total", type: "counter",
               help: "Holders that stopped without releasing the stream.") { .integer($0.uncleanStops) },
        Family(name: "noncestore_floor_repairs_total", type: "counter",
               help: "Times the state row was found below the history and raised to it.") { .integer($0.floorRepairs) },
        Family(name: "noncestore_last_issued", type: "gauge", help: "The last nonce issued, in the stream's unit (noncestore_unit_nanoseconds).") { .integer(Int64(clamping: $0.lastIssued)) },
        Family(name: "noncestore_high_water_mark", type: "gauge", help: "The durable ceiling restarts begin above.") { .integer(Int64(clamping: $0.highWaterMark)) },
        Family(name: "noncestore_lead_seconds", type: "gauge", help: "The last nonce's lead over the wall clock.") {
            .decimal(Double($0.leadOverClockNanoseconds) / 1e9)
        },
        Family(name: "noncestore_mark_renewals_total", type: "counter", help: "Durable commits of a new high-water mark.") {
            .integer($0.markRenewals)
        },
        Family(name: "noncestore_clock_regressions_total", type: "counter", help: "Times the clock was seen stepping back.") {
            .integer($0.clockRegressions)
        },
        Family(name: "noncestore_jumps_total", type: "counter", help: "Jumps forward, manual or recovery.") { .integer($0.jumps) },
        Family(name: "noncestore_rejections_total", type: "counter", help: "Invalid-nonce rejections recorded.") {
            .integer($0.rejectionsTotal)
        },
        Family(name: "noncestore_rejections_in_a_row", type: "gauge", help: "Rejections since the last success.") {
            .integer($0.consecutiveRejections)
        },
        Family(name: "noncestore_held", type: "gauge", help: "1 while a live process holds the stream.") { .integer($0.isHeld ? 1 : 0) },
        Family(name: "noncestore_unit_nanoseconds", type: "gauge", help: "What one step of the stream's nonce is worth, in ns.") {
            .integer($0.unit.nanoseconds)
        },
        Family(name: "noncestore_max_nonce", type: "gauge", help: "The stream's ceiling (2^63-1 when it has none).") {
            .integer($0.maxNonce ?? .max)
        },
        Family(name: "noncestore_ceiling_near", type: "gauge", help: "1 while the stream is within a year, or 1%, of its ceiling.") {
            .integer($0.isCeilingNear ? 1 : 0)
        },
    ]

    static func render(_ streams: [NonceStats]) -> String {
        var lines: [String] = []
        for family in families {
            lines.append("# HELP \(family.name) \(family.help)")
            lines.append("# TYPE \(family.name) \(family.type)")
            for stats in streams {
                lines.append("\(family.name){stream=\"\(escape(stats.stream))\"} \(family.value(stats).text)")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// Label values escape backslash, double quote and newline.
    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
