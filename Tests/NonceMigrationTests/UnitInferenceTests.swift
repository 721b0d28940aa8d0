import NonceMigration
import NonceBackend
import Testing

/// Values judged against a fixed clock: 2025-11-24T16:00:00Z.
let fixedNow: Int64 = 1_764_000_000_000_000_000

@Suite("Units from magnitude")
struct UnitInferenceTests {
    let times = PlausibleTimes(now: fixedNow, horizon: .seconds(366 * 86_400))

    @Test("13, 16 and 19 digits read as ms, µs and ns, all normalized to nanoseconds", arguments: [
        ("1764000000000", NonceUnit.milliseconds, Int64(1_764_000_000_000_000_000)),
        ("1763999999999999", .microseconds, 1_763_999_999_999_999_000),
        ("1764000000000000123", .nanoseconds, 1_764_000_000_000_000_123),
        ("1356998400000", .milliseconds, PlausibleTimes.krakenLaunch),
        // The old code's "divide anything above 1e14 by 1000" left 16-digit values meant as
        // ms: they read as µs, which is a lower (harmless) floor than their true reading.
        ("1764000000000000", .microseconds, 1_764_000_000_000_000_000),
        ("0001764000000000", .milliseconds, 1_764_000_000_000_000_000),
    ])
    func fits(raw: String, unit: NonceUnit, nanoseconds: Int64) throws {
        let reading = try times.normalize(Substring(raw)).get()
        #expect(reading.unit == unit)
        #expect(reading.nanoseconds == nanoseconds)
    }

    @Test("a 19-digit ns value cut to 14 digits reads as ms centuries ahead and fits no unit")
    func truncatedNanoseconds() {
        let full = "1764000000000000000"
        for digits in [14, 15, 17] {
            let result = times.normalize(full.prefix(digits))
            guard case .failure(.fitsNoUnit) = result else {
                Issue.record("\(digits) digits: expected fitsNoUnit, got \(result)")
                continue
            }
        }
    }

    @Test("18 digits read as python-kraken-sdk's 10 ns units, at the top of the tick (a cut-off ns value stays covered)")
    func tenNanosecondUnits() throws {
        let reading = try times.normalize("176400000000000000").get()
        #expect(reading.unit == .tenNanoseconds)
        #expect(reading.nanoseconds == 1_764_000_000_000_000_009)
        #expect(reading.unit.legacySymbol.contains("python-kraken-sdk"))
    }

    @Test("22 digits are beyond 2^64; 20 digits beyond 2^63-1")
    func beyond64Bits() {
        #expect(problem("1764000000000000000000") == .beyondUInt64)
        #expect(problem("18446744073709551616") == .beyondUInt64)
        #expect(problem("18446744073709551615") == .beyondInt64)
        #expect(problem("9223372036854775808") == .beyondInt64)
    }

    private func problem(_ raw: Substring) -> LegacyValueProblem? {
        if case .failure(let problem) = times.normalize(raw) { return problem }
        return nil
    }

    @Test("values before 2013 and beyond the horizon fit no unit")
    func outsideTheWindow() {
        for raw in ["0", "42", "1356998399999", "1200000000000000000"] {
            guard case .failure(.fitsNoUnit) = times.normalize(Substring(raw)) else {
                Issue.record("\(raw) should fit no unit")
                continue
            }
        }
        let twoYearsAhead = String(fixedNow / 1_000_000 + 2 * 365 * 86_400_000)
        guard case .failure(.fitsNoUnit(let readings)) = times.normalize(Substring(twoYearsAhead)) else {
            Issue.record("two years ahead should fit no unit")
            return
        }
        #expect(readings.contains("as ms 2 years ahead"))
    }
}
