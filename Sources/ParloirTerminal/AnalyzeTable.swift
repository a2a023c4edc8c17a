import AudioQC
import Foundation

/// Renders `parloir analyze` results as a readable table, one row per file, and a summary of
/// verdicts by reason code.
public struct AnalyzeTable: Sendable {
    public let style: TerminalStyle
    /// Width available for the file column.
    public let fileWidth: Int

    public init(style: TerminalStyle, fileWidth: Int = 34) {
        self.style = style
        self.fileWidth = fileWidth
    }

    /// The header line.
    public func header() -> String {
        let text = [
            fit("file", fileWidth), fit("verdict", 7), fit("dur s", 6, alignRight: true),
            fit("SNR dB", 7, alignRight: true), fit("speech", 7, alignRight: true), "reasons",
        ].joined(separator: "  ")
        return style.paint(text, .bold)
    }

    /// One row for a report.
    public func row(_ report: AnalysisReport) -> String {
        let m = report.metrics
        let verdict = report.verdict == .accept
            ? style.paint(fit("accept", 7), .green)
            : style.paint(fit("reject", 7), .red)
        let reasons = report.reasons.map { reason in
            style.paint(reason.code.rawValue, reason.severity == .reject ? .red : .yellow)
        }.joined(separator: " ")
        return [
            fit(report.file, fileWidth), verdict,
            fit(fixed(m.durationS, 2, missing: "—"), 6, alignRight: true),
            fit(fixed(m.snrDB, 1, missing: "—"), 7, alignRight: true),
            fit(fixed(m.speechLevelDBFS, 1, missing: "—"), 7, alignRight: true),
            reasons.isEmpty ? style.paint("—", .gray) : reasons,
        ].joined(separator: "  ")
    }

    /// The summary: verdict counts, then reasons by code with how many rejected and warned.
    public func summary(_ reports: [AnalysisReport]) -> String {
        let accepted = reports.filter { $0.verdict == .accept }.count
        var lines = [
            "",
            style.paint("\(reports.count) files: ", .bold)
                + style.paint("\(accepted) accepted", .green) + ", "
                + style.paint("\(reports.count - accepted) rejected", .red),
        ]
        var rejects: [ReasonCode: Int] = [:], warns: [ReasonCode: Int] = [:]
        for reason in reports.flatMap(\.reasons) {
            if reason.severity == .reject { rejects[reason.code, default: 0] += 1 } else { warns[reason.code, default: 0] += 1 }
        }
        let codes = Set(rejects.keys).union(warns.keys).sorted {
            (rejects[$0] ?? 0, warns[$0] ?? 0, $1.rawValue) > (rejects[$1] ?? 0, warns[$1] ?? 0, $0.rawValue)
        }
        if !codes.isEmpty {
            lines.append(style.paint(fit("reason", 18) + fit("rejected", 9, alignRight: true) + fit("warned", 8, alignRight: true), .bold))
            for code in codes {
                lines.append(fit(code.rawValue, 18) + fit("\(rejects[code] ?? 0)", 9, alignRight: true)
                             + fit("\(warns[code] ?? 0)", 8, alignRight: true))
            }
        }
        return lines.joined(separator: "\n")
    }

}
