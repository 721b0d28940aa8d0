/// Instants as people type and read them, in UTC: what `nonce timeline --from` takes and
/// its page shows. Written out (days from the civil date) rather than through a date
/// formatter, so a page is the same on every machine whatever its time zone or locale.
public enum UTCTime {
    /// The forms ``nanoseconds(parsing:)`` reads, for help texts and errors.
    public static let parsingForms = "ISO-8601 (2025-12-03T03:12:00Z, 2025-12-03 03:12, an offset such as +01:00; "
        + "no zone is UTC), or seconds since the epoch (1764731520, 1764731520.5)"

    /// Nanoseconds since the epoch of an ISO-8601 date and time (seconds and their fraction
    /// optional; `Z`, an offset such as `+01:00`, or no zone for UTC), or of a count of
    /// seconds since the epoch (`date +%s`). Nil for anything else.
    public static func nanoseconds(parsing text: String) -> Int64? {
        let text = String(text.trimmingWhitespace())
        if let epoch = epochSeconds(text) { return epoch }
        var reader = Reader(Array(text.utf8))
        guard let year = reader.digits(4), reader.skip("-"), let month = reader.digits(2), reader.skip("-"),
              let day = reader.digits(2), reader.skip("T") || reader.skip("t") || reader.skip(" "),
              let hour = reader.digits(2), reader.skip(":"), let minute = reader.digits(2),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60
        else { return nil }
        var second: Int64 = 0, fraction: Int64 = 0
        if reader.skip(":") {
            guard let value = reader.digits(2), value < 61 else { return nil }
            second = value
            if reader.skip(".") || reader.skip(",") {
                guard let (value, count) = reader.fraction() else { return nil }
                fraction = value * power(10, 9 - count)
            }
        }
        var offset: Int64 = 0
        if reader.skip("Z") || reader.skip("z") || reader.atEnd {
            offset = 0
        } else if let sign: Int64 = reader.skip("+") ? 1 : reader.skip("-") ? -1 : nil,
                  let hours = reader.digits(2), (reader.skip(":") || true), let minutes = reader.digits(2), hours < 24, minutes < 60 {
            offset = sign * (hours * 3_600 + minutes * 60)
        } else {
            return nil
        }
        guard reader.atEnd else { return nil }
        let seconds = days(year: year, month: month, day: day) * 86_400 + hour * 3_600 + minute * 60 + second - offset
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow, seconds >= 0 else { return nil }
        return scaled + fraction
    }

    /// `2025-12-03 03:12:07Z`, with `digits` decimals of the second (0 to 9).
    public static func text(_ nanoseconds: Int64, digits: Int = 0) -> String {
        let (seconds, rest) = floorDivision(nanoseconds, 1_000_000_000)
        let (day, time) = floorDivision(seconds, 86_400)
        let (year, month, dayOfMonth) = civil(days: day)
        var out = "\(pad(year, 4))-\(pad(month, 2))-\(pad(dayOfMonth, 2)) \(clock(time))"
        if digits > 0 { out += "." + String(pad(rest, 9).prefix(min(digits, 9))) }
        return out + "Z"
    }

    /// `03:12:07`, the time of day alone (an axis's ticks).
    public static func timeOfDay(_ nanoseconds: Int64) -> String {
        clock(floorDivision(floorDivision(nanoseconds, 1_000_000_000).0, 86_400).1)
    }

    private static func clock(_ seconds: Int64) -> String {
        "\(pad(seconds / 3_600, 2)):\(pad(seconds / 60 % 60, 2)):\(pad(seconds % 60, 2))"
    }

    private static func epochSeconds(_ text: String) -> Int64? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
              let seconds = Int64(whole) else { return nil }
        var fraction: Int64 = 0
        if parts.count == 2 {
            let digits = parts[1]
            guard !digits.isEmpty, digits.count <= 9, digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
                  let value = Int64(digits) else { return nil }
            fraction = value * power(10, 9 - digits.count)
        }
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? nil : scaled + fraction
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date of a day since 1970-01-01 (`civil_from_days`).
    static func civil(days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func floorDivision(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
        let quotient = value / divisor - (value % divisor < 0 ? 1 : 0)
        return (quotient, value - quotient * divisor)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    private static func power(_ base: Int64, _ exponent: Int) -> Int64 {
        (0..<max(0, exponent)).reduce(1) { result, _ in result * base }
    }

    /// Reads ASCII, left to right.
    private struct Reader {
        let bytes: [UInt8]
        var index = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { index == bytes.count }

        mutating func skip(_ character: Character) -> Bool {
            guard index < bytes.count, let ascii = character.asciiValue, bytes[index] == ascii else { return false }
            index += 1
            return true
        }

        /// Exactly `count` digits.
        mutating func digits(_ count: Int) -> Int64? {
            guard index + count <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[index..<index + count] {
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int64(byte - 48)
            }
            index += count
            return value
        }

        /// 1 to 9 digits: their value and count.
        mutating func fraction() -> (Int64, Int)? {
            var value: Int64 = 0, count = 0
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57, count < 9 {
                value = value * 10 + Int64(bytes[index] - 48)
                count += 1
                index += 1
            }
            return count == 0 ? nil : (value, count)
        }
    }
}
