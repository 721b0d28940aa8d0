extension TimelinePage {
    /// One stream's part of the page: its figures, the chart, the legend, the events and the
    /// buckets, as text as well as drawn.
    struct StreamSection {
        let stream: StreamTimeline
        let index: Int
        let timeline: NonceTimeline

        var html: String {
            let stats = stream.stats
            var out = """
                <section class="stream" id="stream-\(index + 1)">
                <h2>\(HTMLText.escape(stream.stream)) <span class="unit">\(stats.mode.rawValue), nonces in \
                \(HTMLText.escape(stats.unit.symbol))\(stats.exchange.map { " (" + HTMLText.escape($0) + " preset)" } ?? "")</span></h2>
                <div class="figures">\(figures)</div>
                <p>\(summary)</p>

                """
            out += TimelineChart(stream: stream, timeline: timeline, colors: colors).svg
            out += legend
            out += eventTable
            out += bucketTable
            out += "</section>\n"
            return out
        }

        /// What `nonce stats` shows, now.
        private var figures: String {
            let stats = stream.stats
            var rows: [(String, String, Bool)] = [
                ("last issued", String(stats.lastIssued), false),
                ("high-water mark", String(stats.highWaterMark), false),
                ("issued total", (stats.uncleanStops > 0 ? "at least " : "") + HTMLText.count(stats.issuedTotal), false),
                ("lead over clock", HTMLText.lead(stats.leadOverClockNanoseconds), stats.isLeadLarge),
                ("rejections", "\(HTMLText.count(stats.consecutiveRejections)) in a row, \(HTMLText.count(stats.rejectionsTotal)) in total",
                 stats.consecutiveRejections > 0),
                ("jumps", HTMLText.count(stats.jumps), false),
                ("clock regressions", HTMLText.count(stats.clockRegressions), stats.clockRegressions > 0),
                ("unclean stops", HTMLText.count(stats.uncleanStops), stats.uncleanStops > 0),
                ("floor repairs", HTMLText.count(stats.floorRepairs), stats.floorRepairs > 0),
                ("mark renewals", HTMLText.count(stats.markRenewals), false),
                ("ceiling", (stats.maxNonce.map(String.init) ?? "none (2^63-1)") + (stats.isCeilingNear ? ", near" : ""),
                 stats.isCeilingNear),
                ("held by", stats.holderPID.map { "process \($0)" } ?? (stats.isHeld ? "shared by running processes" : "nobody"), false),
            ]
            if let bytes = stats.databaseBytes { rows.append(("database size", Self.bytes(bytes), false)) }
            return rows.map { name, value, warn in
                "<div class=\"figure\(warn ? " warn" : "")\"><span>\(name)</span><span class=\"num\">\(HTMLText.escape(value))</span></div>"
            }.joined()
        }

        private var summary: String {
            let pairs = stream.series.reduce(0) { $0 + ($1.isRest ? $1.others : 1) }
            var text = "\(HTMLText.count(stream.issued)) nonce(s) issued in the window by \(pairs) process and label pair(s); "
                + "\(HTMLText.count(stream.eventsInWindow)) event(s)"
            if stream.eventsLeftOut > 0 {
                text += " (the first and last \(NonceInspector.timelineEventLimit) listed, \(HTMLText.count(stream.eventsLeftOut)) between them "
                    + "left out: see <code>nonce_events</code>)"
            }
            return text + "."
        }

        /// One colour per series, the rest grey: distinct in print and for most colour vision.
        var colors: [String] {
            stream.series.enumerated().map { index, series in
                series.isRest ? "#9aa3ab" : Self.palette[index % Self.palette.count]
            }
        }

        static let palette = ["#1f77b4", "#e8710a", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22"]

        private var legend: String {
            guard !stream.series.isEmpty else { return "<p class=\"note\">No nonces were issued in the window.</p>\n" }
            let items = zip(stream.series, colors).map { series, color in
                "<li><span class=\"swatch\" style=\"background:\(color)\"></span>\(HTMLText.escape(Self.name(of: series)))"
                    + " <span class=\"num\">\(HTMLText.count(series.issued))</span></li>"
            }
            return "<ul class=\"legend\">" + items.joined() + "</ul>\n"
        }

        private var eventTable: String {
            guard !stream.events.isEmpty else { return "<h3>Events</h3>\n<p class=\"note\">No events in the window.</p>\n" }
            var out = "<h3>Events</h3>\n<table class=\"events\"><thead><tr><th>time (UTC)</th><th>kind</th><th>detail</th>"
                + "<th class=\"num\">floor</th></tr></thead><tbody>\n"
            for event in stream.events {
                out += "<tr><td class=\"time\">\(UTCTime.text(event.at, digits: 3))</td><td class=\"kind\">\(HTMLText.escape(event.kind))</td>"
                    + "<td class=\"detail\">\(HTMLText.escape(event.detail))</td>"
                    + "<td class=\"num\">\(event.floor.map(String.init) ?? "")</td></tr>\n"
            }
            return out + "</tbody></table>\n"
        }

        /// The buckets that issued, as numbers: the chart's bars and lead line, readable
        /// without the chart.
        private var bucketTable: String {
            let busy = stream.buckets.filter { $0.issued > 0 }
            guard !busy.isEmpty else { return "" }
            var out = "<h3>Buckets with nonces</h3>\n<table class=\"buckets\"><thead><tr><th>from (UTC)</th><th class=\"num\">nonces</th>"
                + "<th>by process and label</th><th class=\"num\">lead</th><th class=\"num\">largest nonce</th></tr></thead><tbody>\n"
            for bucket in busy {
                let shares = bucket.issuedBy.map { "\(HTMLText.escape(Self.name(of: $0))): \(HTMLText.count($0.issued))" }
                out += "<tr><td class=\"time\">\(UTCTime.text(bucket.start))</td><td class=\"num\">\(HTMLText.count(bucket.issued))</td>"
                    + "<td>\(shares.joined(separator: "; "))</td>"
                    + "<td class=\"num\">\(bucket.leadNanoseconds.map(HTMLText.lead) ?? "")</td>"
                    + "<td class=\"num\">\(bucket.maxNonce.map(String.init) ?? "")</td></tr>\n"
            }
            return out + "</tbody></table>\n"
        }

        /// `pid 4242 · AddOrder`, `pid 4242`, `7 others`.
        static func name(of series: TimelineSeries) -> String {
            guard let pid = series.pid else { return "\(series.others) other process/label pair(s)" }
            return "pid \(pid)" + (series.label.map { " · " + $0 } ?? "")
        }

        static func bytes(_ count: Int64) -> String {
            count >= 1 << 20 ? HTMLText.fixed(Double(count) / 1_048_576, 1) + " MiB" : HTMLText.fixed(Double(count) / 1024, 1) + " KiB"
        }
    }
}
