import Foundation
import NonceBackend
@testable import NonceKit
import NonceTestSupport
import Testing

/// `TimelinePage`: one self-contained page that says everything the timeline holds.
@Suite("The timeline page")
struct TimelinePageTests {
    typealias Fixture = TimelineTests.Fixture
    static let t0 = TimelineTests.t0
    static let minute = TimelineTests.minute

    @Test("the page holds every event's detail, every process, the stream's figures; nothing external; its size bounded",
          arguments: TestBackend.available)
    func contents(backend: TestBackend) throws {
        let fixture = try Fixture(backend)
        try fixture.writeIncident()
        // What any client may write: it must arrive as text, never as markup.
        try fixture.issue(2, pid: 104, label: "<script>alert(1)</script>", at: Self.t0 + 300 * TimelineTests.second)
        try fixture.write(events: [EventRow(at: Self.t0 + 310 * TimelineTests.second, kind: .rejection,
                                            detail: "EAPI:Invalid nonce <b>\"quoted\"</b> & more")])
        let timeline = try fixture.inspector.timeline(streams: ["k"], from: Self.t0, until: Self.t0 + 10 * Self.minute, buckets: 10)
        let page = TimelinePage(timeline).html
        for event in timeline.streams[0].events {
            #expect(page.contains(HTMLText.escape(event.detail)), "the event '\(event.detail)' is on the page")
        }
        #expect(page.contains("EAPI:Invalid nonce &lt;b&gt;&quot;quoted&quot;&lt;/b&gt; &amp; more"))
        for pid in [101, 102, 104] { #expect(page.contains("pid \(pid)")) }
        #expect(page.contains("AddOrder") && page.contains("Balance"))
        #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !page.contains("<script>alert"))
        for figure in ["last issued", "high-water mark", "issued total", "lead over clock", "rejections", "jumps", "clock regressions",
                       "unclean stops", "floor repairs", "held by"] {
            #expect(page.contains(">\(figure)<"), "the figure '\(figure)' is at the top")
        }
        #expect(page.contains(String(timeline.streams[0].stats.lastIssued)))
        #expect(page.contains("+2.000 s"), "the lead after the jump, as time")
        for external in ["http://", "https://", "src=", "<link", "@import", "url(", "//fonts", "<iframe", "<img"] {
            #expect(!page.contains(external), "nothing from outside the page: found \(external)")
        }
        #expect(page.components(separatedBy: "<script").count == 2, "one inline script, the page's own")
        #expect(page.contains("@media print"), "a print style sheet")
        #expect(page.contains("content=\"default-src 'none';"), "the browser itself refuses to load anything for it")
        #expect(page.contains("<title>"), "details in SVG titles, without script")
        #expect(page.utf8.count < 100_000, "\(page.utf8.count) bytes")
    }

    @Test("a hundred times the rows make a page of the same size", arguments: TestBackend.available)
    func sizeIndependentOfRows(backend: TestBackend) throws {
        var sizes: [Int] = []
        for rowsPerMinute in [10, 1_000] {
            let fixture = try Fixture(backend)
            for minute in 0..<10 {
                for pid in 1...3 {
                    try fixture.issue(rowsPerMinute, pid: Int32(pid), label: pid == 1 ? "AddOrder" : nil,
                                      at: Self.t0 + Int64(minute) * Self.minute + Int64(pid) * TimelineTests.second)
                }
            }
            try fixture.write(events: TimelineTests.incidentEvents)
            let timeline = try fixture.inspector.timeline(from: Self.t0, until: Self.t0 + 10 * Self.minute, buckets: 10)
            #expect(timeline.streams[0].issued == Int64(30 * rowsPerMinute))
            sizes.append(TimelinePage(timeline).html.utf8.count)
        }
        let difference = Double(abs(sizes[1] - sizes[0])) / Double(sizes[0])
        #expect(difference < 0.03, "pages of \(sizes[0]) and \(sizes[1]) bytes: only the numbers' digits may differ")
    }

    @Test("JSON: snake_case keys, every key present, absent values null")
    func json() throws {
        let fixture = try Fixture(.sqlite)
        try fixture.writeIncident()
        let timeline = try fixture.inspector.timeline(streams: ["k"], from: Self.t0, until: Self.t0 + 10 * Self.minute, buckets: 10)
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let object = try #require(try JSONSerialization.jsonObject(with: encoder.encode(timeline)) as? [String: Any])
        #expect(Set(object.keys) == ["from", "until", "bucket_nanoseconds", "generated_at", "database", "streams"])
        let stream = try #require((object["streams"] as? [[String: Any]])?.first)
        #expect(Set(stream.keys) == ["stream", "stats", "issued", "series", "buckets", "events", "events_in_window", "events_left_out"])
        let buckets = try #require(stream["buckets"] as? [[String: Any]])
        let empty = buckets[2]
        #expect(Set(empty.keys) == ["start", "end", "issued", "issued_by", "max_nonce", "last_issued_at", "lead_nanoseconds"])
        #expect(empty["lead_nanoseconds"] is NSNull && empty["max_nonce"] is NSNull)
        let share = try #require((buckets[1]["issued_by"] as? [[String: Any]])?.first)
        #expect(Set(share.keys) == ["pid", "label", "issued", "others"] && share["label"] is NSNull && share["pid"] as? Int == 102)
        let event = try #require((stream["events"] as? [[String: Any]])?.first)
        #expect(Set(event.keys) == ["at", "kind", "detail", "floor"] && event["floor"] is NSNull)
        #expect((stream["stats"] as? [String: Any])?["issued_total"] as? Int == 113)
    }
}
