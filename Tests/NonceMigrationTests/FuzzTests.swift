import Foundation
import NonceMigration
import NonceTestSupport
import Testing

@Suite("The parser on arbitrary bytes")
struct FuzzTests {
    static let seeds: [UInt64] = [1, 2, 3, 0xC0FFEE]
    let times = PlausibleTimes(now: fixedNow, horizon: .seconds(366 * 86_400))

    /// Random bytes, or a valid file mutated: bytes flipped, inserted, deleted, truncated,
    /// lines duplicated: the shapes an interrupted or corrupted write leaves.
    static func input(_ random: inout SeededGenerator) -> [UInt8] {
        let valid = [legacyValue("ms"), legacyValue("us"), legacyValue("ns"), legacyValue("ms") + "\r\n" + legacyValue("ms", plus: minute)]
        var bytes: [UInt8]
        if Bool.random(using: &random) {
            bytes = (0..<Int.random(in: 0...48, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
        } else {
            bytes = Array(valid.randomElement(using: &random)!.utf8)
            for _ in 0..<Int.random(in: 0...4, using: &random) {
                let index = Int.random(in: 0...bytes.count, using: &random)
                switch Int.random(in: 0..<6, using: &random) {
                case 0 where index < bytes.count: bytes[index] = UInt8.random(in: 0...255, using: &random)
                case 1: bytes.insert([UInt8](" \r\n\t\u{0}0123456789".utf8).randomElement(using: &random)!, at: index)
                case 2 where index < bytes.count: bytes.remove(at: index)
                case 3: bytes = Array(bytes.prefix(index))
                case 4: bytes += [UInt8(ascii: "\n")] + bytes
                default: bytes.insert(UInt8(ascii: "9"), at: index)
                }
            }
        }
        return bytes
    }

    @Test("content parsing and unit inference never trap, and every value they accept is sound", arguments: seeds)
    func inMemory(seed: UInt64) {
        var random = SeededGenerator(state: seed)
        for iteration in 0..<20_000 {
            let bytes = Self.input(&random)
            guard case .values(let values) = LegacyContent(bytes: bytes) else { continue }
            let text = String(decoding: bytes, as: UTF8.self)
            for value in values {
                #expect(!value.isEmpty && value.utf8.allSatisfy { (0x30...0x39).contains($0) }, "seed \(seed) #\(iteration)")
                #expect(text.contains(value), "seed \(seed) #\(iteration)")
                if case .success(let reading) = times.normalize(Substring(value)) {
                    #expect(reading.nanoseconds >= PlausibleTimes.krakenLaunch && reading.nanoseconds <= times.latest,
                            "seed \(seed) #\(iteration): \(value)")
                    #expect(reading.nanoseconds / reading.unit.nanoseconds == Int64(value.drop { $0 == "0" }) ?? 0)
                }
            }
        }
    }

    @Test("a directory of random and mutated nonce files imports without trapping; only sound values count", arguments: seeds)
    func onDisk(seed: UInt64) throws {
        var random = SeededGenerator(state: seed)
        let directory = try LegacyDirectory("fuzz\(seed)")
        let names = ["kraken_nonce.txt", "kraken_nonce_%d.txt", "kraken_nonce_%d.state", "kraken_global_nonce.txt",
                     "kraken_nonce.state", ".nonce_tmp_%d", "kraken_nonce_%d.txt.tmp", "kraken_nonce_%d.state.bak.1763000000",
                     "kraken_nonce_%d.txt.pid", "kraken_nonce_offsets.json"]
        var contents: [String: [UInt8]] = [:]
        for index in 0..<250 {
            let name = names.randomElement(using: &random)!.replacingOccurrences(of: "%d", with: String(index))
            let bytes = Self.input(&random)
            contents[try directory.write("data/" + name, bytes: bytes)] = bytes
        }
        let plan = try LegacyImportPlan(paths: [directory.root], options: .init(skipInvalid: true, acceptFuture: true, now: fixedNow))
        #expect(plan.rejected.isEmpty)
        #expect(plan.files.count == contents.count)
        for file in plan.files where file.status == .counted {
            let normalized = try #require(file.normalized)
            #expect(normalized >= PlausibleTimes.krakenLaunch && normalized <= times.latest, "\(file.path)")
            let text = String(decoding: contents[file.path] ?? [], as: UTF8.self)
            #expect(file.rawValues.allSatisfy { text.contains($0) }, "\(file.path)")
        }
        let counted = plan.files.filter { $0.status == .counted }.compactMap(\.normalized)
        #expect(plan.floor == counted.max())
        // The generator must reach both sides, or the test proves nothing.
        #expect(!counted.isEmpty)
        #expect(plan.files.contains { $0.status == .skipped })
    }
}
