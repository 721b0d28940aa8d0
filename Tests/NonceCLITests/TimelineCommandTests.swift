import Foundation
import NonceTestSupport
import Testing

/// `nonce timeline` over what real processes did to a key: its page and its JSON.
@Suite("nonce timeline")
struct TimelineCommandTests {
    static func run(_ arguments: [String], _ db: String) throws -> ChildProcess.Result {
        let result = try ChildProcess.nonce(arguments + ["--db", db])
        #expect(result.status == 0, "nonce \(arguments.joined(separator: " ")): \(result.stderr)")
        return result
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }

    @Test("processes, a jump, a rejection, a recovery and a kill -9: the JSON counts each process and label as the history does, the page shows every event",
          arguments: TestBackend.available)
    func incident(backend: TestBackend) throws {
        let directory = try TemporaryDirectory()
        let db = backend.database(in: directory)
        _ = try Self.run(["next", "--count", "300", "--label", "AddOrder", "--stream", "k"], db)
        _ = try Self.run(["next", "--count", "40", "--stream", "k"], db)
        _ = try Self.run(["jump", "--by", "5s", "--reason", "3 rejections: EAPI:Invalid nonce", "--stream", "k"], db)
        _ = try Self.run(["next", "--count", "25", "--label", "Balance <b>&</b>", "--stream", "k"], db)
        _ = try Self.run(["reject", "--reason", "EAPI:Invalid nonce", "--stream", "k"], db)
        _ = try Self.run(["ok", "--stream", "k"], db)
        let holder = try HolderProcess(["next", "--count", "100000000", "--stream", "k", "--db", db])
        #expect(holder.waitForOutput(within: .seconds(30)), "\(holder.stderr)")
        holder.kill()
        _ = try Self.run(["next", "--stream", "k"], db)  // takes over: counts the unclean stop

        let json = try Self.run(["timeline", "--json", "--since", "10m", "--stream", "k"], db).stdout
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let stream = try #require((object["streams"] as? [[String: Any]])?.first)
        #expect(stream["stream"] as? String == "k")
        let history = try #require(try JSONSerialization.jsonObject(
            with: Data(try Self.run(["history", "--json", "--limit", "10000000", "--stream", "k"], db).stdout.utf8)) as? [[String: Any]])
        var expected: [String: Int] = [:]
        for row in history { expected["\(row["pid"] as? Int ?? -1) \(row["label"] as? String ?? "-")", default: 0] += 1 }
        var counted: [String: Int] = [:]
        for series in try #require(stream["series"] as? [[String: Any]]) {
            counted["\(series["pid"] as? Int ?? -1) \(series["label"] as? String ?? "-")"] = series["issued"] as? Int
        }
        #expect(counted == expected, "each process and label as often as the history has it")
        #expect(expected.count >= 4, "AddOrder, unlabelled, Balance, the last process: \(expected)")
        let buckets = try #require(stream["buckets"] as? [[String: Any]])
        #expect(buckets.reduce(0) { $0 + ($1["issued"] as? Int ?? 0) } == history.count)
        #expect(buckets.contains { ($0["lead_nanoseconds"] as? Int ?? 0) >= 2_000_000_000 }, "the jump shows as a lead (5 s, less the time since)")
        let events = try #require(stream["events"] as? [[String: Any]])
        let kinds = events.compactMap { $0["kind"] as? String }
        for kind in ["jump", "rejection", "recovered", "unclean_stop"] { #expect(kinds.contains(kind), "\(kinds)") }
        #expect(events.contains { ($0["detail"] as? String)?.contains("3 rejections: EAPI:Invalid nonce") == true })

        let page = directory.url.appendingPathComponent("timeline.html").path
        let wrote = try Self.run(["timeline", "--html", page, "--since", "10m"], db)
        #expect(wrote.stdout.hasPrefix("wrote \(page): 1 stream(s)"), "\(wrote.stdout)")
        let html = try String(contentsOfFile: page, encoding: .utf8)
        for event in events { #expect(html.contains(Self.escape(event["detail"] as? String ?? "?"))) }
        for key in expected.keys { #expect(html.contains("pid \(key.split(separator: " ")[0])")) }
        #expect(html.contains("Balance &lt;b&gt;&amp;&lt;/b&gt;") && !html.contains("<b>&</b>"))
        #expect(html.contains(">unclean stops<") && html.contains(">issued total<"))
        for external in ["http://", "https://", "src=", "<link"] { #expect(!html.contains(external)) }
    }

    @Test("refusals: no output asked for, two starts, a time it cannot read, a stream that is not there")
    func refusals() throws {
        let directory = try TemporaryDirectory()
        let db = directory.database
        _ = try Self.run(["next", "--stream", "k"], db)
        let cases: [([String], String)] = [
            (["timeline"], "--html FILE, --json"),
            (["timeline", "--json", "--since", "5m", "--from", "2025-11-24T16:00:00Z"], "give one"),
            (["timeline", "--json", "--from", "yesterday"], "--from"),
            (["timeline", "--json", "--from", "2025-11-24T17:00Z", "--until", "2025-11-24T16:00Z"], "after --from"),
            (["timeline", "--json", "--buckets", "0"], "--buckets"),
            (["timeline", "--json", "--stream", "missing"], "missing"),
        ]
        for (arguments, message) in cases {
            let result = try ChildProcess.nonce(arguments + ["--db", db])
            #expect(result.status != 0 && result.stderr.contains(message), "nonce \(arguments.joined(separator: " ")): \(result.stderr)")
        }
        let from = try Self.run(["timeline", "--json", "--from", "2025-11-24T16:00:00Z", "--until", "1764000600", "--buckets", "10"], db)
        #expect(from.stdout.contains("\"from\" : 1764000000000000000") && from.stdout.contains("\"until\" : 1764000600000000000"))
    }
}
