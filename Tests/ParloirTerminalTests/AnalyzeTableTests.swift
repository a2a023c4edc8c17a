import AudioQC
import Foundation
import ParloirTerminal
import Testing

/// The analyze table: readable rows, colour only when asked, a summary by reason code.
struct AnalyzeTableTests {
    static func report(_ file: String, _ verdict: Verdict, _ codes: [(ReasonCode, Severity)], snr: Double? = 21.5) -> AnalysisReport {
        var metrics = Metrics()
        metrics.durationS = 3.2
        metrics.snrDB = snr
        metrics.speechLevelDBFS = -22
        let reasons = codes.map { Reason(code: $0.0, severity: $0.1, value: 1, threshold: 2, message: "m") }
        return AnalysisReport(file: file, verdict: verdict, reasons: reasons, metrics: metrics)
    }

    let reports = [
        report("a.wav", .accept, []),
        report("b.wav", .reject, [(.lowSNR, .reject), (.clipping, .warn)], snr: 9.2),
        report("c.wav", .reject, [(.unreadable, .reject)], snr: nil),
    ]

    @Test func plainOutputHasNoEscapeCodes() {
        let table = AnalyzeTable(style: TerminalStyle(colored: false))
        let text = ([table.header()] + reports.map(table.row) + [table.summary(reports)]).joined(separator: "\n")
        #expect(!text.contains("\u{1B}"))
        #expect(text.contains("9.2"))
        #expect(text.contains("low_snr clipping"))
        #expect(text.contains("3 files: 1 accepted, 2 rejected"))
    }

    @Test func colouredOutputPaintsVerdicts() {
        let table = AnalyzeTable(style: TerminalStyle(colored: true))
        let row = table.row(reports[1])
        #expect(row.contains("\u{1B}[31mreject"))
        #expect(row.contains("\u{1B}[33mclipping"))
    }

    @Test func summaryCountsRejectionsAndWarningsByReason() {
        let summary = AnalyzeTable(style: TerminalStyle(colored: false)).summary(reports)
        let lines = summary.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        #expect(lines.contains("low_snr 1 0"))
        #expect(lines.contains("clipping 0 1"))
        #expect(lines.contains("unreadable 1 0"))
    }

    @Test func longFileNamesAreCutFromTheLeft() {
        let table = AnalyzeTable(style: TerminalStyle(colored: false), fileWidth: 12)
        let row = table.row(Self.report("corpora/samples/very_long_name.wav", .accept, []))
        #expect(row.hasPrefix("…ng_name.wav  accept"))
    }
}
