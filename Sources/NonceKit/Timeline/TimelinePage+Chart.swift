import NonceBackend

/// A stream's chart, as inline SVG on one time axis: nonces per bucket stacked by series,
/// the lead of the nonce over the clock, and a lane of marks per kind of event. Each mark
/// carries its details in a `<title>`, which browsers show on hover with or without script.
struct TimelineChart {
    let stream: StreamTimeline
    let timeline: NonceTimeline
    let colors: [String]

    private let width = 1_000.0
    private let left = 92.0
    private let right = 14.0
    private let barsTop = 12.0
    private let barsHeight = 190.0
    private let leadHeight = 80.0
    private let laneHeight = 18.0

    private var plotWidth: Double { width - left - right }
    private var leadTop: Double { barsTop + barsHeight + 22 }
    private var lanesTop: Double { leadTop + leadHeight + 16 }
    private var kinds: [String] {
        let present = Set(stream.events.map(\.kind))
        let known = EventKind.allCases.map(\.rawValue).filter(present.contains)
        return known + present.subtracting(known).sorted()
    }
    private var axisTop: Double { lanesTop + laneHeight * Double(max(1, kinds.count)) }
    private var height: Double { axisTop + 24 }

    var svg: String {
        var out = "<svg class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\""
            + "\(HTMLText.escape(stream.stream)): nonces per bucket by process and label, lead over the clock, events\">\n"
        out += frames
        out += bars
        out += lead
        out += events
        out += axis
        return out + "</svg>\n"
    }

    private func x(_ nanoseconds: Int64) -> Double {
        let span = Double(max(1, timeline.until - timeline.from))
        return left + Double(nanoseconds - timeline.from) / span * plotWidth
    }

    private var frames: String {
        var out = ""
        for (top, height) in [(barsTop, barsHeight), (leadTop, leadHeight), (lanesTop, axisTop - lanesTop)] {
            out += "<rect class=\"frame\" x=\"\(Int(left))\" y=\"\(c(top))\" width=\"\(Int(plotWidth))\" height=\"\(c(height))\"/>\n"
        }
        return out
    }

    // MARK: Nonces per bucket

    private var bars: String {
        let top = Self.niceCeiling(stream.buckets.map(\.issued).max() ?? 0)
        var out = label("nonces per " + HTMLText.width(seconds: timeline.bucketNanoseconds / 1_000_000_000), y: barsTop + 12)
        for fraction in [0.5, 1.0] {
            let y = barsTop + barsHeight * (1 - fraction)
            out += "<line class=\"grid\" x1=\"\(Int(left))\" x2=\"\(Int(width - right))\" y1=\"\(c(y))\" y2=\"\(c(y))\"/>"
            out += "<text x=\"\(Int(left - 6))\" y=\"\(c(y + 4))\" text-anchor=\"end\">\(HTMLText.count(Int64(Double(top) * fraction)))</text>\n"
        }
        let slot = plotWidth / Double(max(1, stream.buckets.count))
        let gap = slot > 4 ? 1.0 : 0
        for (index, bucket) in stream.buckets.enumerated() where bucket.issued > 0 {
            var base = barsTop + barsHeight
            let span = "\(UTCTime.text(bucket.start)) to \(UTCTime.timeOfDay(bucket.end))"
            let lead = bucket.leadNanoseconds.map { ", lead " + HTMLText.lead($0) } ?? ""
            for share in bucket.issuedBy {
                let height = Double(share.issued) / Double(top) * barsHeight
                base -= height
                let color = stream.series.firstIndex { $0.pid == share.pid && $0.label == share.label }.map { colors[$0] } ?? "#9aa3ab"
                out += "<rect x=\"\(c(left + Double(index) * slot))\" y=\"\(c(base))\" width=\"\(c(max(0.5, slot - gap)))\" "
                    + "height=\"\(c(max(0.5, height)))\" fill=\"\(color)\" data-tip=\"\"><title>\(span)\n"
                    + "\(HTMLText.escape(TimelinePage.StreamSection.name(of: share))): \(HTMLText.count(share.issued)) nonce(s)\n"
                    + "bucket: \(HTMLText.count(bucket.issued)) nonce(s)\(lead)</title></rect>\n"
            }
        }
        return out
    }

    /// 1, 2 or 5 times a power of ten, at least `value` (and at least 1).
    static func niceCeiling(_ value: Int64) -> Int64 {
        var power: Int64 = 1
        while true {
            for step in [1, 2, 5] as [Int64] where step * power >= value { return step * power }
            if power > Int64.max / 100 { return value }
            power *= 10
        }
    }

    // MARK: Lead over the clock

    private var lead: String {
        let points = stream.buckets.enumerated().compactMap { index, bucket in bucket.leadNanoseconds.map { (index, bucket, $0) } }
        var out = label("lead over clock", y: leadTop + 12)
        let low = min(0, points.map(\.2).min() ?? 0), high = max(0, points.map(\.2).max() ?? 0)
        let span = Double(high == low ? 1 : high - low)
        func y(_ lead: Int64) -> Double { leadTop + 6 + (leadHeight - 12) * (1 - Double(lead - low) / span) }
        out += "<line class=\"zero\" x1=\"\(Int(left))\" x2=\"\(Int(width - right))\" y1=\"\(c(y(0)))\" y2=\"\(c(y(0)))\"/>"
        out += "<text x=\"\(Int(left - 6))\" y=\"\(c(y(0) + 4))\" text-anchor=\"end\">0</text>\n"
        if high > 0 {
            out += "<text x=\"\(Int(left - 6))\" y=\"\(c(y(high) + 4))\" text-anchor=\"end\">\(HTMLText.lead(high))</text>\n"
        }
        if low < 0 {
            out += "<text x=\"\(Int(left - 6))\" y=\"\(c(y(low) + 4))\" text-anchor=\"end\">\(HTMLText.lead(low))</text>\n"
        }
        let slot = plotWidth / Double(max(1, stream.buckets.count))
        // A line through buckets in a row; an empty bucket breaks it.
        var run: [String] = []
        var previous = -2
        func flush() {
            if run.count > 1 { out += "<polyline class=\"lead\" points=\"\(run.joined(separator: " "))\"/>\n" }
            run = []
        }
        for (index, _, lead) in points {
            if index != previous + 1 { flush() }
            run.append("\(c(left + (Double(index) + 0.5) * slot)),\(c(y(lead)))")
            previous = index
        }
        flush()
        for (index, bucket, lead) in points {
            out += "<circle cx=\"\(c(left + (Double(index) + 0.5) * slot))\" cy=\"\(c(y(lead)))\" r=\"2.6\" fill=\"#6f42c1\" data-tip=\"\">"
                + "<title>\(UTCTime.text(bucket.start)) to \(UTCTime.timeOfDay(bucket.end))\nlead over clock \(HTMLText.lead(lead))"
                + "\(bucket.maxNonce.map { "\nlargest nonce \($0)" } ?? "")</title></circle>\n"
        }
        return out
    }

    // MARK: Events

    private var events: String {
        guard !kinds.isEmpty else {
            return "<text x=\"\(c(left + 8))\" y=\"\(c(lanesTop + 13))\">no events in the window</text>\n"
        }
        var out = ""
        for (lane, kind) in kinds.enumerated() {
            let y = lanesTop + laneHeight * (Double(lane) + 0.5)
            out += "<text x=\"\(Int(left - 6))\" y=\"\(c(y + 4))\" text-anchor=\"end\">\(HTMLText.escape(kind))</text>\n"
        }
        // A faint line up through the charts for each event, while they are few enough to read.
        let drawLines = stream.events.count <= 60
        for event in stream.events {
            let lane = kinds.firstIndex(of: event.kind) ?? 0
            let x = x(event.at), y = lanesTop + laneHeight * (Double(lane) + 0.5)
            let color = Self.color(of: event.kind)
            if drawLines {
                out += "<line x1=\"\(c(x))\" x2=\"\(c(x))\" y1=\"\(c(barsTop))\" y2=\"\(c(y))\" stroke=\"\(color)\" stroke-opacity=\"0.35\"/>"
            }
            out += "<circle cx=\"\(c(x))\" cy=\"\(c(y))\" r=\"4.5\" fill=\"\(color)\" data-tip=\"\"><title>\(UTCTime.text(event.at, digits: 3)) "
                + "\(HTMLText.escape(event.kind))\n\(HTMLText.escape(event.detail))\(event.floor.map { "\nfloor \($0)" } ?? "")</title></circle>\n"
        }
        return out
    }

    static func color(of kind: String) -> String {
        switch EventKind(rawValue: kind) {
        case .jump: "#e8710a"
        case .rejection, .ceilingNear: "#d62728"
        case .recovered: "#2ca02c"
        case .clockRegression: "#9467bd"
        case .uncleanStop: "#1d2329"
        case .floorRepair, .historyAdopted: "#8c564b"
        case .import, .copy: "#17becf"
        case .mode, .unit: "#1f77b4"
        case .prune: "#9aa3ab"
        case nil: "#5b6670"
        }
    }

    // MARK: Axis

    private var axis: String {
        let count = stream.buckets.count
        let every = max(1, (count + 7) / 8)
        let long = timeline.until - timeline.from >= 2 * 86_400_000_000_000
        var out = ""
        for index in stride(from: 0, through: count, by: every) {
            let at = timeline.from + Int64(index) * timeline.bucketNanoseconds
            let x = x(at)
            let text = long ? String(UTCTime.text(at).dropFirst(5).prefix(11)) : UTCTime.timeOfDay(at)
            out += "<line class=\"grid\" x1=\"\(c(x))\" x2=\"\(c(x))\" y1=\"\(c(axisTop))\" y2=\"\(c(axisTop + 5))\"/>"
            let anchor = x > width - right - 30 ? "end" : x < left + 30 ? "start" : "middle"
            out += "<text x=\"\(c(x))\" y=\"\(c(axisTop + 17))\" text-anchor=\"\(anchor)\">\(text)</text>\n"
        }
        return out
    }

    private func label(_ text: String, y: Double) -> String {
        "<text x=\"\(c(left + 6))\" y=\"\(c(y))\">\(HTMLText.escape(text))</text>\n"
    }

    private func c(_ value: Double) -> String { HTMLText.coordinate(value) }
}
