/// Text made safe for an HTML page, and the numbers a timeline page prints.
enum HTMLText {
    /// `text` for element content and quoted attribute values: `& < > " '` escaped, so a
    /// label or an event's detail (which any client may write) can never become markup.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// `1,234,567`.
    static func count(_ value: Int64) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out += "," }
            out.append(digit)
        }
        return (value < 0 ? "-" : "") + out
    }

    /// A signed span in the unit that reads best: `+0 s`, `-350 ms`, `+2.500 s`, `+12.5 min`,
    /// `+3.2 h`, `+41.0 d`.
    static func lead(_ nanoseconds: Int64) -> String {
        let sign = nanoseconds > 0 ? "+" : nanoseconds < 0 ? "-" : "±"
        let value = Double(nanoseconds.magnitude)
        let text: String
        switch value {
        case 0: text = "0 s"
        case ..<1e3: text = "\(nanoseconds.magnitude) ns"
        case ..<1e6: text = fixed(value / 1e3, 1) + " µs"
        case ..<1e9: text = fixed(value / 1e6, 1) + " ms"
        case ..<120e9: text = fixed(value / 1e9, 3) + " s"
        case ..<7_200e9: text = fixed(value / 60e9, 1) + " min"
        case ..<172_800e9: text = fixed(value / 3_600e9, 1) + " h"
        default: text = fixed(value / 86_400e9, 1) + " d"
        }
        return sign + text
    }

    /// A bucket's width: `1 s`, `30 s`, `5 min`, `2 h`, `1 d`.
    static func width(seconds: Int64) -> String {
        switch seconds {
        case ..<60: "\(seconds) s"
        case ..<3_600 where seconds % 60 == 0: "\(seconds / 60) min"
        case ..<86_400 where seconds % 3_600 == 0: "\(seconds / 3_600) h"
        case _ where seconds % 86_400 == 0: "\(seconds / 86_400) d"
        default: "\(seconds) s"
        }
    }

    /// `value` with `decimals` digits after the point, without Foundation's formatter
    /// (whose output follows the locale).
    static func fixed(_ value: Double, _ decimals: Int) -> String {
        let scale = (0..<decimals).reduce(1.0) { result, _ in result * 10 }
        let scaled = (value * scale).rounded()
        guard scaled.magnitude < 9e15 else { return String(Int64(value.rounded())) }
        let whole = Int64(scaled)
        guard decimals > 0 else { return String(whole) }
        let divisor = Int64(scale)
        let fraction = String(whole.magnitude % UInt64(divisor))
        return (whole < 0 ? "-" : "") + String(whole.magnitude / UInt64(divisor)) + "."
            + String(repeating: "0", count: decimals - fraction.count) + fraction
    }

    /// A coordinate with one decimal, the precision an SVG of this size needs.
    static func coordinate(_ value: Double) -> String {
        fixed(value, 1)
    }
}
