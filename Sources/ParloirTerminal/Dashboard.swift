import Foundation
import ParloirCore

/// A campaign the dashboard can switch to.
public struct CampaignChoice: Sendable, Equatable {
    public var id: String
    public var name: String

    public init(id: String, name: String) {
        self.id = id
        self.name = name
    }
}

/// A key read from the terminal.
public enum Key: Sendable, Equatable {
    case character(Character)
    case tab, backTab, up, down, left, right, enter, escape, backspace, delete, home, end
    /// Ctrl-C, read as a byte in raw mode.
    case interrupt
    /// Ctrl-W: the word before the cursor goes.
    case deleteWord
    /// Ctrl-U: everything before the cursor goes.
    case deleteToStart
    /// A key Parloir does not use.
    case unknown
}

/// What the dashboard shows and where the focus is; changed by keys.
public struct DashboardState: Sendable, Equatable {
    /// The panels, in the order `tab` visits them.
    public enum Panel: Int, Sendable, CaseIterable {
        case uploads, verdicts, snr, duration, quotas, verification, workers
    }

    public var campaigns: [CampaignChoice]
    public var campaignIndex = 0
    public var focus = Panel.quotas
    /// First quota dimension shown.
    public var quotaOffset = 0
    /// First worker row shown.
    public var workerOffset = 0
    public var quit = false

    public init(campaigns: [CampaignChoice], campaignIndex: Int = 0) {
        self.campaigns = campaigns
        self.campaignIndex = campaignIndex
    }

    public var campaign: CampaignChoice? { campaigns.indices.contains(campaignIndex) ? campaigns[campaignIndex] : nil }

    /// Applies a key: `q`/Ctrl-C quit, `tab`/shift-`tab` move between panels, ←/→ between
    /// campaigns, ↑/↓ scroll the focused panel. Returns whether the campaign changed.
    @discardableResult
    public mutating func handle(_ key: Key) -> Bool {
        let panels = Panel.allCases.count
        switch key {
        case .character("q"), .character("Q"), .interrupt, .escape: quit = true
        case .tab: focus = Panel(rawValue: (focus.rawValue + 1) % panels) ?? .uploads
        case .backTab: focus = Panel(rawValue: (focus.rawValue + panels - 1) % panels) ?? .uploads
        case .right, .left:
            guard campaigns.count > 1 else { return false }
            campaignIndex = (campaignIndex + (key == .right ? 1 : campaigns.count - 1)) % campaigns.count
            quotaOffset = 0
            workerOffset = 0
            return true
        case .down, .up:
            let step = key == .down ? 1 : -1
            if focus == .quotas { quotaOffset = max(0, quotaOffset + step) }
            if focus == .workers { workerOffset = max(0, workerOffset + step) }
        default: break
        }
        return false
    }
}

/// Draws a campaign report as the full-screen dashboard: uploads per minute, verdicts by
/// reason, SNR and duration histograms, quota bars, verification, workers who stand out.
/// Readable at 80×24; taller and wider terminals get longer lists and finer bars.
public struct DashboardView {
    public var report: CampaignReport?
    public var state: DashboardState
    /// A line for the footer (a failed refresh, for example).
    public var status: String?
    public var timeZone: TimeZone

    public init(report: CampaignReport?, state: DashboardState, status: String? = nil, timeZone: TimeZone = .current) {
        self.report = report
        self.state = state
        self.status = status
        self.timeZone = timeZone
    }

    /// The smallest terminal the dashboard draws in.
    public static let minimumSize = (width: 60, height: 16)

    public func render(width: Int, height: Int) -> Canvas {
        var canvas = Canvas(width: width, height: height)
        guard width >= Self.minimumSize.width, height >= Self.minimumSize.height else {
            canvas.write("Parloir: this terminal is \(width)×\(height);", x: 0, y: 0, ink: .yellow)
            canvas.write("the dashboard needs \(Self.minimumSize.width)×\(Self.minimumSize.height).", x: 0, y: 1, ink: .yellow)
            canvas.write("q quits", x: 0, y: 2)
            return canvas
        }
        header(&canvas)
        footer(&canvas)
        guard let report else {
            canvas.write("waiting for the first report…", x: 2, y: 2, ink: .dim)
            return canvas
        }
        let body = height - 2
        let top = max(5, body * 5 / 22)
        let bottom = body - 2 * top
        let left = width / 2
        let right = width - left
        let side = max(6, bottom * 2 / 5)
        let panels: [(DashboardState.Panel, Int, Int, Int, Int)] = [
            (.uploads, 0, 1, left, top), (.verdicts, left, 1, right, top),
            (.snr, 0, 1 + top, left, top), (.duration, left, 1 + top, right, top),
            (.quotas, 0, 1 + 2 * top, left, bottom),
            (.verification, left, 1 + 2 * top, right, side), (.workers, left, 1 + 2 * top + side, right, bottom - side),
        ]
        for (panel, x, y, w, h) in panels {
            let focused = state.focus == panel
            let area = Area(x: x + 1, y: y + 1, width: w - 2, height: h - 2)
            switch panel {
            case .uploads:
                canvas.box(x: x, y: y, width: w, height: h, title: "Uploads per minute (last hour)", focused: focused)
                uploads(report, &canvas, area)
            case .verdicts:
                canvas.box(x: x, y: y, width: w, height: h, title: "Verdicts", focused: focused)
                verdicts(report, &canvas, area)
            case .snr:
                canvas.box(x: x, y: y, width: w, height: h, title: "SNR (dB), all takes", focused: focused)
                histogram(report.snrHistogram, &canvas, area, ink: .cyan)
            case .duration:
                canvas.box(x: x, y: y, width: w, height: h, title: "Duration (s), all takes", focused: focused)
                histogram(report.durationHistogram, &canvas, area, ink: .blue)
            case .quotas:
                canvas.box(x: x, y: y, width: w, height: h, title: "Quotas", focused: focused)
                quotas(report, &canvas, area)
            case .verification:
                canvas.box(x: x, y: y, width: w, height: h, title: "Verification", focused: focused)
                verification(report, &canvas, area)
            case .workers:
                canvas.box(x: x, y: y, width: w, height: h, title: "Workers", focused: focused)
                workers(report, &canvas, area)
            }
        }
        return canvas
    }

    struct Area {
        var x: Int
        var y: Int
        var width: Int
        var height: Int
    }

    func header(_ canvas: inout Canvas) {
        let name = state.campaign.map { "\($0.name) (\($0.id))" } ?? report.map { "\($0.campaignName) (\($0.campaignId))" } ?? "no campaign"
        let position = state.campaigns.count > 1 ? "  ·  \(state.campaignIndex + 1)/\(state.campaigns.count)" : ""
        var stamp = ""
        if let report {
            let formatter = DateFormatter()
            formatter.dateFormat = "HH:mm:ss"
            formatter.timeZone = timeZone
            stamp = "updated \(formatter.string(from: report.generatedAt))"
            canvas.write(stamp, x: canvas.width - stamp.count, y: 0, ink: .dim)
        }
        canvas.write("Parloir  ·  \(name)\(position)", x: 0, y: 0, ink: .title, limit: canvas.width - stamp.count - 1)
    }

    func footer(_ canvas: inout Canvas) {
        let keys = "q quit · tab panel · ←→ campaign · ↑↓ scroll"
        let y = canvas.height - 1
        canvas.write(keys, x: 0, y: y, ink: .dim)
        if let status {
            canvas.write(status, x: keys.count + 3, y: y, ink: .yellow, limit: canvas.width - keys.count - 3)
        }
    }

    static let levels: [Character] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    func uploads(_ report: CampaignReport, _ canvas: inout Canvas, _ area: Area) {
        let minutes = Array(report.uploadsPerMinute.suffix(area.width))
        let rows = max(1, area.height - 3)
        let peak = max(report.uploadsPerMinute.max() ?? 0, 1)
        guard area.height > 0 else { return }
        let offset = area.width - minutes.count
        for (index, count) in minutes.enumerated() {
            Self.column(count, peak: peak, rows: rows, width: 1, x: area.x + offset + index, top: area.y, ink: .green, on: &canvas)
        }
        let totals = report.totals
        let rate = totals.takes > 0 ? Double(totals.accepted) / Double(totals.takes) * 100 : 0
        let perMinute = report.uploadsPerMinute
        // Most important first: what a small panel cannot show is the last line, or a line's last part.
        let lines: [[FigureLayout.Part]] = [
            [{ "takes \($0.count(totals.takes))" }, { _ in "accepted \(fixed(rate, 1)) %" }, { "\($0.number(totals.acceptedHours, 2)) h" }],
            [{ "speakers \($0.count(totals.speakers))" }, { "workers \($0.count(totals.workers))" }, { "paid \($0.euros(totals.paidCents))" }],
            [{ "now \($0.count(perMinute.last ?? 0))/min" }, { "peak \($0.count(perMinute.max() ?? 0))/min" }, { "hour \($0.count(perMinute.reduce(0, +)))" }],
        ]
        for (index, line) in lines.prefix(area.height - rows).enumerated() {
            canvas.write(FigureLayout.fit(line, width: area.width), x: area.x, y: area.y + rows + index, limit: area.width)
        }
    }

    func verdicts(_ report: CampaignReport, _ canvas: inout Canvas, _ area: Area) {
        var rows: [(String, Int, Canvas.Ink)] = [("accepted", report.totals.accepted, .green), ("rejected", report.totals.rejected, .red)]
        rows += report.rejections.map { ("  \($0.code)", $0.takes, .red) }
        let peak = max(rows.map(\.1).max() ?? 1, 1)
        let label = min(18, max(10, rows.map(\.0.count).max() ?? 10))
        // Whole counts while they leave the bars some room.
        let style: FigureStyle = label + String(peak).count + 6 <= area.width ? .whole : .short
        let count = rows.map { style.count($0.1).count }.max() ?? 1
        let barWidth = max(1, area.width - label - count - 2)
        for (index, row) in rows.prefix(area.height).enumerated() {
            let y = area.y + index
            if index == area.height - 1, rows.count > area.height {
                canvas.write("+\(rows.count - index) more reasons", x: area.x, y: y, ink: .dim, limit: area.width)
                break
            }
            canvas.write(row.0, x: area.x, y: y, limit: label)
            canvas.write(Self.bar(Double(row.1) / Double(peak), width: barWidth), x: area.x + label + 1, y: y, ink: row.2)
            canvas.write(Self.pad(style.count(row.1), count), x: area.x + area.width - count, y: y)
        }
    }

    func histogram(_ bins: [CampaignReport.HistogramBin], _ canvas: inout Canvas, _ area: Area, ink: Canvas.Ink) {
        guard !bins.isEmpty else { return }
        let column = max(1, area.width / bins.count)
        let rows = max(1, area.height - 1)
        let peak = max(bins.map(\.takes).max() ?? 1, 1)
        var labelEnd = area.x
        for (index, bin) in bins.enumerated() {
            let x = area.x + index * column
            Self.column(bin.takes, peak: peak, rows: rows, width: max(1, column - 1), x: x, top: area.y, ink: ink, on: &canvas)
            let label = bin.lower.map { fixed($0, 0) } ?? "<" + fixed(bin.upper ?? 0, 0)
            // Edge labels where they fit, a space apart.
            if x >= labelEnd, x + label.count <= area.x + area.width {
                canvas.write(label, x: x, y: area.y + rows, ink: .dim)
                labelEnd = x + label.count + 1
            }
        }
        let tallest = bins.map(\.takes).max() ?? 0
        // Over the bars' top row: a third of the panel at most.
        let note = FigureLayout.first(["max \(tallest)", "max " + FigureStyle.short.count(tallest)], width: max(8, area.width / 3)) ?? ""
        canvas.write(note, x: area.x + area.width - note.count, y: area.y, ink: .dim)
    }

    /// A vertical bar `rows` high for `value` of `peak`, in eighths of a row; any non-zero
    /// value shows at least one eighth.
    static func column(_ value: Int, peak: Int, rows: Int, width: Int, x: Int, top: Int, ink: Canvas.Ink, on canvas: inout Canvas) {
        let eighths = value == 0 ? 0 : max(1, Int((Double(value) / Double(peak) * Double(rows * 8)).rounded()))
        for row in 0..<rows {
            let level = min(8, max(0, eighths - (rows - 1 - row) * 8))
            canvas.write(String(repeating: String(levels[level]), count: width), x: x, y: top + row, ink: ink)
        }
    }

    static func ink(_ state: QuotaState?) -> Canvas.Ink { Canvas.Ink(TerminalStyle.Color.of(state)) }

    func quotas(_ report: CampaignReport, _ canvas: inout Canvas, _ area: Area) {
        guard !report.quotas.isEmpty else {
            canvas.write("this campaign sets no quotas", x: area.x, y: area.y, ink: .dim)
            return
        }
        let start = min(state.quotaOffset, report.quotas.count - 1)
        var y = area.y
        let legend = "under ok full over"
        for (index, fill) in report.quotas.enumerated().dropFirst(start) {
            guard y < area.y + area.height else { break }
            let title = "\(fill.name) · \(fill.unit.rawValue)"
            canvas.write(title, x: area.x, y: y, ink: .bold, limit: area.width)
            if index == start, title.count + legend.count + 1 <= area.width {
                var x = area.x + area.width - legend.count
                for (word, state) in [("under", QuotaState.under), ("ok", .ok), ("full", .full), ("over", .over)] {
                    canvas.write(word, x: x, y: y, ink: Self.ink(state))
                    x += word.count + 1
                }
            }
            y += 1
            let label = min(14, max(6, fill.cells.map(\.value.count).max() ?? 6))
            let peak = fill.cells.map { max($0.actual + $0.inFlight, $0.max ?? $0.target ?? 0) }.max() ?? 1
            for cell in fill.cells {
                guard y < area.y + area.height else { break }
                let figures = Self.figures(cell, unit: fill.unit, width: area.width - label - 2 - Self.shortestQuotaBar)
                let barWidth = max(1, area.width - label - figures.count - 2)
                canvas.write(cell.value, x: area.x, y: y, limit: label)
                let scale = max(peak, 1e-9)
                let filled = Int((cell.actual / scale * Double(barWidth)).rounded())
                let pending = Int(((cell.actual + cell.inFlight) / scale * Double(barWidth)).rounded()) - filled
                var bar = String(repeating: "█", count: min(barWidth, filled)) + String(repeating: "▒", count: max(0, min(barWidth - filled, pending)))
                bar += String(repeating: "·", count: max(0, barWidth - bar.count))
                canvas.write(bar, x: area.x + label + 1, y: y, ink: Self.ink(cell.state))
                if let mark = cell.target ?? cell.max, mark > 0 {
                    let column = min(barWidth - 1, Int((mark / scale * Double(barWidth)).rounded()) - 1)
                    if column >= 0 { canvas.write("│", x: area.x + label + 1 + column, y: y, ink: .bold) }
                }
                canvas.write(figures, x: area.x + area.width - figures.count, y: y, ink: Self.ink(cell.state))
                y += 1
            }
        }
        if start > 0 { canvas.write("↑", x: area.x + area.width - 1, y: area.y - 1, ink: .dim) }
    }

    /// Columns a quota bar keeps before its figures give up detail.
    static let shortestQuotaBar = 4

    /// `12+3/30 under`: accepted, in flight, target (or ceiling), state; within `width`, the
    /// figures abbreviated, then the state (its colour stays), the in-flight count and the
    /// goal (its mark on the bar stays) dropped.
    static func figures(_ cell: CampaignReport.CellFill, unit: QuotaUnit, width: Int) -> String {
        let digits = unit == .hours ? 2 : 0
        var candidates: [String] = []
        for (inFlight, goal, state) in [(true, true, true), (true, true, false), (false, true, false), (false, false, false)] {
            for style in [FigureStyle.whole, .short] {
                var text = style.number(cell.actual, digits)
                if inFlight, cell.inFlight > 0 { text += "+" + style.number(cell.inFlight, digits) }
                if goal, let mark = cell.target ?? cell.max { text += "/" + style.number(mark, digits) }
                if state, let state = cell.state { text += " " + state.rawValue }
                candidates.append(text)
            }
        }
        return FigureLayout.first(candidates, width: width) ?? candidates.last!
    }

    func verification(_ report: CampaignReport, _ canvas: inout Canvas, _ area: Area) {
        let v = report.verification
        let kinds: [FigureLayout.Part] = TaskKind.allCases.compactMap { kind in v.backlog[kind.rawValue].map { count in { "\(kind.rawValue) \($0.count(count))" } } }
        // Each line's parts, most important first; a line too long for the panel loses its last parts.
        var lines: [(parts: [FigureLayout.Part], separator: String, ink: Canvas.Ink)] = [
            ([{ "backlog \($0.count(v.backlogTotal))" }] + kinds, " · ", v.backlogTotal > 0 ? .yellow : .plain),
        ]
        if let rate = v.errorRate, let low = v.intervalLow, let high = v.intervalHigh {
            lines.append(([{ _ in "error rate \(fixed(rate * 100, 1)) %" }, { _ in "[\(fixed(low * 100, 1))–\(fixed(high * 100, 1))] 95 %" }], " ", .bold))
        } else {
            lines.append(([{ _ in "error rate: not enough verified takes yet" }], " ", .dim))
        }
        lines.append(([{ "verified \($0.count(v.verified))" }, { "double \($0.count(v.doubleReviews))" }]
                      + (v.verdictAgreement.map { agreement in [{ _ in "agree \(fixed(agreement * 100, 0)) %" }] } ?? []), " · ", .plain))
        lines.append(([{ "appeals pending \($0.count(v.pendingAppeals))" },
                       { "noise mismatches \($0.count(report.noise.mismatches))/\($0.count(report.noise.compared))" }],
                      " · ", v.pendingAppeals > 0 ? .yellow : .plain))
        lines.append(([{ "speaker cap \($0.count(report.speakerCap.recordings))" }, { "at cap \($0.count(report.speakerCap.speakersAtCap))" },
                       { "largest \($0.count(report.speakerCap.largestSpeakerRecordings))" }], " · ", .plain))
        if let wer = v.doubleReviewWer { lines.append(([{ _ in "WER between double reviews \(fixed(wer * 100, 1)) %" }], " ", .plain)) }
        for (index, line) in lines.prefix(area.height).enumerated() {
            canvas.write(FigureLayout.fit(line.parts, width: area.width, separator: line.separator), x: area.x, y: area.y + index, ink: line.ink,
                         limit: area.width)
        }
    }

    func workers(_ report: CampaignReport, _ canvas: inout Canvas, _ area: Area) {
        guard area.height > 0 else { return }
        // Columns right of the worker id, most important first: a narrow panel drops the last
        // ones so that the id keeps `idRoom` columns.
        let idRoom = 10
        let all: [(title: String, width: Int, value: (CampaignReport.WorkerAggregate) -> String)] = [
            ("takes", 5, { FigureLayout.first([String($0.takes), FigureStyle.short.count($0.takes)], width: 5) ?? FigureStyle.short.count($0.takes) }),
            ("rej%", 5, { fixed($0.rejectionRate * 100, 0) }),
            ("err%", 5, { $0.verifiedErrorRate.map { fixed($0 * 100, 0) } ?? "–" }),
            ("€/h", 6, { worker in
                worker.effectiveHourlyCents.map { FigureLayout.first([fixed($0 / 100, 2), FigureStyle.short.number($0 / 100, 2)], width: 6) ?? "" } ?? "–"
            }),
        ]
        var shown = all
        while shown.count > 1, shown.map({ $0.width + 1 }).reduce(0, +) + idRoom > area.width { shown.removeLast() }
        let columns = shown.map { Self.pad($0.title, $0.width) }.joined(separator: " ")
        canvas.write("worker", x: area.x, y: area.y, ink: .bold)
        canvas.write(columns, x: area.x + area.width - columns.count, y: area.y, ink: .bold)
        let ordered = report.workers.filter { !$0.flags.isEmpty } + report.workers.filter { $0.flags.isEmpty }
        let flagged = report.workers.filter { !$0.flags.isEmpty }.count
        let visible = area.height - 1
        let start = min(state.workerOffset, max(0, ordered.count - visible))
        for (row, worker) in ordered.dropFirst(start).prefix(visible).enumerated() {
            let y = area.y + 1 + row
            let standsOut = !worker.flags.isEmpty
            let figures = shown.map { Self.pad($0.value(worker), $0.width) }.joined(separator: " ")
            canvas.write((standsOut ? "! " : "  ") + worker.workerId, x: area.x, y: y, ink: standsOut ? .red : .plain, limit: area.width - figures.count - 1)
            canvas.write(figures, x: area.x + area.width - figures.count, y: y, ink: standsOut ? .red : .plain)
        }
        if report.workers.isEmpty { canvas.write("no takes yet", x: area.x, y: area.y + 1, ink: .dim) }
        if flagged > 0 {
            let note = " \(flagged) stand out "
            canvas.write(note, x: area.x + area.width - note.count - 1, y: area.y - 1, ink: .red)
        }
    }

    static func bar(_ fraction: Double, width: Int) -> String {
        let eighths = Int((max(0, min(1, fraction)) * Double(width * 8)).rounded())
        let full = eighths / 8
        let partial = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"][eighths % 8]
        return String(repeating: "█", count: full) + partial
    }


    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }
}
