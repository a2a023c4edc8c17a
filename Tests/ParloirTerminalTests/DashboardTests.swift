import Foundation
import ParloirCore
import ParloirTerminal
import Testing

/// The dashboard and report renderings, pinned on a fixed report.
@Suite struct DashboardTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func report() throws -> CampaignReport {
        try CampaignReport.decoder.decode(CampaignReport.self, from: Data(contentsOf: fixtures.appendingPathComponent("report.json")))
    }

    static let state = DashboardState(campaigns: [CampaignChoice(id: "cmp-0123456789abcdef", name: "assistant-maison"),
                                                  CampaignChoice(id: "cmp-fedcba9876543210", name: "voiture")])

    /// Compares with `Fixtures/NAME`; `PARLOIR_UPDATE_SNAPSHOTS=1` writes it instead.
    static func expectSnapshot(_ lines: [String], _ name: String) throws {
        let url = fixtures.appendingPathComponent(name)
        let text = lines.joined(separator: "\n") + "\n"
        if ProcessInfo.processInfo.environment["PARLOIR_UPDATE_SNAPSHOTS"] == "1" {
            try text.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        let pinned = try String(contentsOf: url, encoding: .utf8)
        for (index, (got, want)) in zip(text.split(separator: "\n", omittingEmptySubsequences: false), pinned.split(separator: "\n", omittingEmptySubsequences: false)).enumerated() {
            #expect(got == want, "line \(index + 1) of \(name)")
        }
        #expect(text == pinned)
    }

    @Test(arguments: [(80, 24), (120, 40)])
    func dashboardMatchesItsSnapshot(width: Int, height: Int) throws {
        let view = DashboardView(report: try Self.report(), state: Self.state, timeZone: TimeZone(identifier: "UTC")!)
        let lines = view.render(width: width, height: height).lines(colored: false)
        #expect(lines.count == height)
        #expect(lines.allSatisfy { $0.count == width })
        try Self.expectSnapshot(lines, "dashboard-\(width)x\(height).txt")
    }

    /// The fixture's campaign grown a thousandfold: 12 345 takes, 1 234 567 s accepted,
    /// 1 234 567.89 € paid, quota cells and backlogs in the tens of thousands.
    static func largeReport() throws -> CampaignReport {
        var report = try report()
        report.totals.takes = 12_345
        report.totals.accepted = 7_500
        report.totals.rejected = 4_845
        report.totals.acceptedHours = 1_234_567 / 3600
        report.totals.speakers = 1_234
        report.totals.workers = 12_500
        report.totals.paidCents = 123_456_789
        report.uploadsPerMinute = report.uploadsPerMinute.map { $0 * 1_000 + 234 }
        report.rejections = report.rejections.map { var reason = $0; reason.takes *= 1_000; return reason }
        report.snrHistogram = report.snrHistogram.map { var bin = $0; bin.takes *= 100_000; return bin }
        report.durationHistogram = report.durationHistogram.map { var bin = $0; bin.takes *= 1_000; return bin }
        for quota in report.quotas.indices {
            let scale = report.quotas[quota].unit == .hours ? 1_000.0 : 1_371.0
            report.quotas[quota].cells = report.quotas[quota].cells.map { cell in
                var cell = cell
                cell.actual *= scale
                cell.inFlight = cell.inFlight * scale + 1_234
                cell.target = cell.target.map { $0 * scale }
                cell.max = cell.max.map { $0 * scale }
                return cell
            }
        }
        report.verification.backlog = ["appeal": 1_234, "disagreement": 11_111, "double": 12_345, "sample": 99_999]
        report.verification.backlogTotal = 124_689
        report.verification.pendingAppeals = 1_234
        report.verification.verified = 123_456
        report.verification.doubleReviews = 12_345
        report.noise.mismatches = 1_234
        report.noise.compared = 123_456
        report.speakerCap.recordings = 12_345
        report.speakerCap.speakersAtCap = 1_234
        report.speakerCap.largestSpeakerRecordings = 12_345
        report.workers = report.workers.map { var worker = $0; worker.takes *= 13_717; worker.effectiveHourlyCents = worker.effectiveHourlyCents.map { $0 * 171 }; return worker }
        return report
    }

    @Test func largeFiguresAreAbbreviatedOrDroppedNeverCutAt80x24() throws {
        let view = DashboardView(report: try Self.largeReport(), state: Self.state, timeZone: TimeZone(identifier: "UTC")!)
        let lines = view.render(width: 80, height: 24).lines(colored: false)
        #expect(lines.allSatisfy { $0.count == 80 })
        try Self.expectSnapshot(lines, "dashboard-80x24-large.txt")
        let text = lines.joined(separator: "\n")
        // Whole where a part can go instead, abbreviated where the room is short, never cut.
        for figure in ["takes 12345 · accepted 60.8 %", "speakers 1234 · workers 12500", "backlog 124689 · appeal 1234 ", "verified 123456 · double 12345",
                       "max 2700000", "12.3k+1.2k/473k under", "193k+2.6k/114k over", "123k    44     –   1.2k"] {
            #expect(text.contains(figure), "\(figure)")
        }
    }

    @Test func largeFiguresFitTheSmallestTerminal() throws {
        let view = DashboardView(report: try Self.largeReport(), state: Self.state, timeZone: TimeZone(identifier: "UTC")!)
        let lines = view.render(width: DashboardView.minimumSize.width, height: DashboardView.minimumSize.height).lines(colored: false)
        try Self.expectSnapshot(lines, "dashboard-60x16-large.txt")
    }

    @Test func figuresAreAbbreviatedToThreeSignificantDigits() {
        #expect(FigureStyle.abbreviate(12_345) == "12.3k")
        #expect(FigureStyle.abbreviate(123_456) == "123k")
        #expect(FigureStyle.abbreviate(1_234_567) == "1.2M")
        #expect(FigureStyle.abbreviate(4_500_000) == "4.5M")
        #expect(FigureStyle.abbreviate(999_950) == "1.0M")
        #expect(FigureStyle.abbreviate(99_960) == "100k")
        #expect(FigureStyle.abbreviate(-12_345) == "-12.3k")
        #expect(FigureStyle.short.count(9_999) == "9999" && FigureStyle.whole.count(12_345) == "12345")
        #expect(FigureStyle.short.number(342.94, 2) == "342.94" && FigureStyle.short.number(1_234.5, 2) == "1.2k")
        #expect(FigureStyle.short.euros(123_456_789) == "1.2M €" && FigureStyle.short.euros(480) == "4.80 €")
    }

    @Test func aLineTooLongAbbreviatesThenDropsItsLastParts() {
        let parts: [FigureLayout.Part] = [{ "takes \($0.count(12_345))" }, { "workers \($0.count(1_234_567))" }, { _ in "paid 4.80 €" }]
        #expect(FigureLayout.fit(parts, width: 80) == "takes 12345 · workers 1234567 · paid 4.80 €")
        #expect(FigureLayout.fit(parts, width: 40) == "takes 12.3k · workers 1.2M · paid 4.80 €")
        #expect(FigureLayout.fit(parts, width: 36) == "takes 12345 · workers 1234567")
        #expect(FigureLayout.fit(parts, width: 28) == "takes 12.3k · workers 1.2M")
        #expect(FigureLayout.fit(parts, width: 11) == "takes 12345")
        #expect(FigureLayout.fit(parts, width: 10) == "", "a line with no room for its first figure is left out, not cut")
    }

    @Test func everyPanelShowsAtTheSmallestUsualTerminal() throws {
        let text = DashboardView(report: try Self.report(), state: Self.state).render(width: 80, height: 24).lines(colored: false).joined(separator: "\n")
        for title in ["Uploads per minute", "Verdicts", "SNR (dB)", "Duration (s)", "Quotas", "Verification", "Workers"] {
            #expect(text.contains(title), "\(title)")
        }
        #expect(text.contains("error rate 4.1 % [2.2–7.6] 95 %"))
        #expect(text.contains("(cmp-0123456789abcdef)  ·  1/2"))
    }

    @Test func quotaColoursTellUnderFullAndOverApart() throws {
        let lines = DashboardView(report: try Self.report(), state: Self.state).render(width: 120, height: 40).lines(colored: true)
        func line(_ cell: String) throws -> String { try #require(lines.first { $0.contains(cell + " ") && $0.contains("│") }) }
        #expect(try line("parisien").contains("\u{1B}[0;33m"))   // under: yellow
        #expect(try line("quebecois").contains("\u{1B}[0;36m"))  // full: cyan
        #expect(try line("suisse").contains("\u{1B}[0;31m"))     // over: red
        #expect(try line("belge").contains("\u{1B}[0;32m"))      // ok: green
        // Workers who stand out are red and marked.
        #expect(lines.contains { $0.contains("! ") && $0.contains("\u{1B}[0;31m") })
    }

    @Test func keysMoveBetweenPanelsAndCampaignsAndQuit() {
        var state = Self.state
        #expect(state.focus == .quotas)
        state.handle(.tab)
        #expect(state.focus == .verification)
        state.handle(.backTab)
        state.handle(.backTab)
        #expect(state.focus == .duration)
        #expect(state.handle(.right) && state.campaign?.name == "voiture")
        #expect(state.handle(.right) && state.campaignIndex == 0)
        #expect(state.handle(.left) && state.campaignIndex == 1)
        state.focus = .quotas
        state.handle(.down)
        #expect(state.quotaOffset == 1)
        state.handle(.up)
        state.handle(.up)
        #expect(state.quotaOffset == 0)
        #expect(!state.quit)
        state.handle(.character("q"))
        #expect(state.quit)
        var interrupted = Self.state
        interrupted.handle(.interrupt)
        #expect(interrupted.quit)
    }

    @Test func scrollingTheQuotaPanelShowsTheNextDimension() throws {
        var state = Self.state
        state.quotaOffset = 2
        let text = DashboardView(report: try Self.report(), state: state).render(width: 80, height: 24).lines(colored: false).joined(separator: "\n")
        #expect(text.contains("noise_condition · hours"))
        #expect(!text.contains("accent · recordings"))
    }

    @Test func aTooSmallTerminalSaysWhatItNeeds() throws {
        let lines = DashboardView(report: try Self.report(), state: Self.state).render(width: 50, height: 10).lines(colored: false)
        #expect(lines[0].contains("50×10") && lines[1].contains("needs 60×16"))
    }

    @Test func keysAreParsedFromTheirBytes() {
        var bytes: [UInt8] = [27, 91, 65, 27, 91, 90, 9, 3, 0xC3, 0xA9, 113, 27, 91, 51, 126, 27, 91, 52, 126, 27, 79, 72, 27, 91, 49, 53, 126, 27]
        var keys: [Key] = []
        while let key = RawTerminal.parse(&bytes) { keys.append(key) }
        #expect(keys == [.up, .backTab, .tab, .interrupt, .character("é"), .character("q"), .delete, .end, .home, .unknown, .escape])
    }

    @Test func textReportHasNoEscapesWithoutColourAndEverySection() throws {
        let text = ReportFormatter.text(try Self.report(), style: TerminalStyle(colored: false))
        #expect(!text.contains("\u{1B}"))
        for section in ["Rejections by reason", "Quota: accent (recordings)", "Quota: accent×gender (speakers)", "Verification",
                        "Noise: declared against measured", "Workers (pseudonymous)"] {
            #expect(text.contains(section), "\(section)")
        }
        #expect(text.contains("error rate            4.12 % (95 % interval 2.18–7.61 %)"))
        #expect(ReportFormatter.text(try Self.report(), style: TerminalStyle(colored: true)).contains("\u{1B}[1m"))
    }

    @Test func markdownReportTablesAreWellFormed() throws {
        let markdown = ReportFormatter.markdown(try Self.report())
        var columns: Int?
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            guard line.hasPrefix("|") else { columns = nil; continue }
            let count = line.replacingOccurrences(of: "\\|", with: "").filter { $0 == "|" }.count
            if let columns { #expect(count == columns, "\(line)") } else { columns = count }
        }
        #expect(markdown.contains("| cell | target | min | max | actual | assigned | state |"))
        #expect(markdown.contains("| suisse |"))
    }

    @Test func reportJSONRoundTrips() throws {
        let report = try Self.report()
        #expect(try CampaignReport.decoder.decode(CampaignReport.self, from: CampaignReport.encoder.encode(report)) == report)
    }

    @Test func theVerifierDiffMarksWhatTheASRChanged() {
        let plain = VerifyApp.diff(prompt: "Allume la lumière de la cuisine.", asr: "allume la lampe de cuisine", style: TerminalStyle(colored: false))
        #expect(plain == "allume la [-lumière-]{+lampe+} de [-la-] cuisine")
        let colored = VerifyApp.diff(prompt: "Allume la lumière.", asr: "allume la lampe", style: TerminalStyle(colored: true))
        #expect(colored.contains("\u{1B}[31m[-lumière-]") && colored.contains("\u{1B}[32m{+lampe+}"))
    }
}
