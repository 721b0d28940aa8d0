/// A ``NonceTimeline`` as one self-contained HTML page: what `nonce timeline --html` writes.
///
/// The page needs nothing but itself: no network (no script, style, font or image from
/// anywhere, not one external address), charts as inline SVG, a few lines of inline script
/// that only show hover details sooner. Every detail is also in the SVG's `<title>`
/// elements (the browser's own tooltips) and in tables, so it reads the same without script
/// and printed (a print style sheet drops the colours' backgrounds and keeps each stream on
/// its own pages). Its size follows the timeline's buckets, series and listed events,
/// never the number of nonces.
///
/// ```swift
/// let page = TimelinePage(try inspector.timeline(from: start, until: end))
/// try page.html.write(toFile: "incident.html", atomically: true, encoding: .utf8)
/// ```
public struct TimelinePage: Sendable {
    /// What the page shows.
    public let timeline: NonceTimeline

    public init(_ timeline: NonceTimeline) {
        self.timeline = timeline
    }

    /// The page, complete.
    public var html: String {
        var out = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta http-equiv="Content-Security-Policy" content="\(Self.contentSecurityPolicy)">
            <title>\(HTMLText.escape(title))</title>
            <style>\(Self.style)</style>
            </head>
            <body>
            <header>
            <h1>Nonce timeline</h1>
            <p class="window">\(windowDescription)</p>
            </header>

            """
        if timeline.streams.isEmpty {
            out += "<p>The database has no streams.</p>\n"
        }
        for (index, stream) in timeline.streams.enumerated() {
            out += StreamSection(stream: stream, index: index, timeline: timeline).html
        }
        out += """
            <footer>Written by <code>nonce timeline</code> from \(HTMLText.escape(timeline.database)) at \
            \(UTCTime.text(timeline.generatedAt))</footer>
            <div id="tip" role="status" hidden></div>
            <script>\(Self.script)</script>
            </body>
            </html>

            """
        return out
    }

    private var title: String {
        let names = timeline.streams.map(\.stream).joined(separator: ", ")
        return "Nonce timeline: \(names.isEmpty ? "no streams" : names), \(UTCTime.text(timeline.from)) to \(UTCTime.text(timeline.until))"
    }

    private var windowDescription: String {
        let seconds = timeline.bucketNanoseconds / 1_000_000_000
        let buckets = (timeline.until - timeline.from) / max(1, timeline.bucketNanoseconds)
        return "<time>\(UTCTime.text(timeline.from))</time> to <time>\(UTCTime.text(timeline.until))</time> (UTC), "
            + "\(buckets) buckets of \(HTMLText.width(seconds: seconds)); database <code>\(HTMLText.escape(timeline.database))</code>"
    }

    /// The browser itself refuses to fetch anything for the page (no script, style, font,
    /// image or connection from any address): it is self-contained by rule, not only by
    /// how it was written. Inline style and the page's own inline script stay allowed.
    static let contentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

    /// Screen and print. No web fonts: the reader's own sans-serif and monospace.
    static let style = """

        :root { color-scheme: light; --ink: #1d2329; --muted: #5b6670; --rule: #d5dbe0; --panel: #f6f8fa; }
        * { box-sizing: border-box; }
        body { margin: 0 auto; max-width: 1120px; padding: 16px 24px 48px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: #fff; }
        h1 { font-size: 22px; margin: 8px 0 2px; }
        h2 { font-size: 18px; margin: 0 0 8px; }
        h2 .unit { font-weight: normal; color: var(--muted); font-size: 14px; }
        h3 { font-size: 15px; margin: 18px 0 6px; }
        code, .num, td.time { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12.5px; }
        .window, footer, .note { color: var(--muted); }
        section.stream { border-top: 2px solid var(--ink); margin-top: 24px; padding-top: 12px; }
        table { border-collapse: collapse; margin: 4px 0 8px; }
        th, td { text-align: left; padding: 3px 10px 3px 0; border-bottom: 1px solid var(--rule); vertical-align: top; }
        th { font-weight: 600; color: var(--muted); }
        td.num, th.num { text-align: right; }
        .figure { display: flex; justify-content: space-between; border-bottom: 1px solid var(--rule); padding: 3px 0; gap: 12px; }
        .figure span:first-child { color: var(--muted); }
        .figure.warn span:last-child { color: #b3261e; font-weight: 600; }
        .figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); column-gap: 24px; margin: 6px 0 10px; }
        svg.chart { width: 100%; height: auto; display: block; background: var(--panel); border: 1px solid var(--rule); }
        svg text { font: 11px system-ui, sans-serif; fill: var(--muted); }
        svg .frame { fill: #fff; stroke: var(--rule); }
        svg .grid { stroke: var(--rule); stroke-width: 1; }
        svg .zero { stroke: #8a949c; stroke-dasharray: 3 3; }
        svg .lead { fill: none; stroke: #6f42c1; stroke-width: 1.6; }
        svg [data-tip]:hover { stroke: var(--ink); stroke-width: 1.5; }
        ul.legend { list-style: none; padding: 0; margin: 8px 0; display: flex; flex-wrap: wrap; gap: 4px 18px; }
        ul.legend li { display: flex; align-items: center; gap: 6px; }
        .swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; }
        td.kind, td.time { white-space: nowrap; }
        td.kind { font-weight: 600; }
        td.detail { overflow-wrap: anywhere; }
        #tip { position: fixed; z-index: 2; max-width: 420px; padding: 6px 8px; background: var(--ink); color: #fff; border-radius: 4px;
               font: 12px/1.35 ui-monospace, Menlo, Consolas, monospace; white-space: pre-wrap; pointer-events: none; }
        footer { margin-top: 32px; border-top: 1px solid var(--rule); padding-top: 8px; }
        @media print {
          body { max-width: none; padding: 0; font-size: 10.5pt; }
          #tip { display: none !important; }
          svg.chart { background: none; border-color: #999; }
          section.stream { break-before: page; border-top: none; }
          section.stream:first-of-type { break-before: auto; }
          svg.chart, table tr { break-inside: avoid; }
          * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
        }

        """

    /// Shows the `<title>` of what the pointer is over at once, beside it (the browser's own
    /// tooltip comes later and stays without script).
    static let script = """

        (function () {
          var tip = document.getElementById("tip");
          if (!tip) { return; }
          document.addEventListener("mousemove", function (event) {
            var node = event.target, title = null;
            while (node && node !== document) {
              if (node.hasAttribute && node.hasAttribute("data-tip")) {
                for (var child = node.firstElementChild; child; child = child.nextElementSibling) {
                  if (child.tagName.toLowerCase() === "title") { title = child.textContent; break; }
                }
                break;
              }
              node = node.parentNode;
            }
            if (title === null) { tip.hidden = true; return; }
            tip.textContent = title;
            tip.hidden = false;
            var x = Math.min(event.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
            var y = event.clientY + 16 + tip.offsetHeight > window.innerHeight ? event.clientY - tip.offsetHeight - 10 : event.clientY + 16;
            tip.style.left = Math.max(4, x) + "px";
            tip.style.top = Math.max(4, y) + "px";
          });
        })();

        """
}
