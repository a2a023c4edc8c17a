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
