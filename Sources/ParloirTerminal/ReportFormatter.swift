import Foundation
import ParloirCore

/// The campaign report as text for people (colour only on a terminal) or as Markdown, for
/// `parloir report` in scripts, CI logs and shared notes.
public enum ReportFormatter {
    /// Plain text in aligned sections.
    public static func text(_ report: CampaignReport, style: TerminalStyle) -> String {
        var out: [String] = []
        func section(_ title: String) {
            out.append("")
            out.append(style.paint(title, .bold))
        }
        out.append(style.paint("Campaign \(report.campaignName) (\(report.campaignId))", .bold) + "  " + timestamp(report.generatedAt))
        for row in summary(report) { out.append("  " + fit(row.0, 22) + row.1) }
        section("Rejections by reason")
        if report.rejections.isEmpty { out.append("  none") }
        for reason in report.rejections { out.append("  " + fit(reason.code, 22) + fit(String(reason.takes), 6, alignRight: true)) }
        for fill in report.quotas {
            section("Quota: \(fill.name) (\(fill.unit.rawValue))")
            out.append("  " + fit("cell", 22) + ["target", "min", "max", "actual", "assigned", "state"].map { fit($0, 10, alignRight: true) }.joined())
            for cell in fill.cells {
                let digits = fill.unit == .hours ? 2 : 0
                let state = cell.state?.rawValue ?? "–"
                out.append("  " + fit(cell.value, 22) + [cell.target, cell.min, cell.max].map { fit(fixed($0, digits), 10, alignRight: true) }.joined()
                           + fit(fixed(cell.actual, digits), 10, alignRight: true) + fit(fixed(cell.inFlight, digits), 10, alignRight: true)
                           + style.paint(fit(state, 10, alignRight: true), .of(cell.state)))
            }
        }
        section("Verification")
        for row in verification(report) { out.append("  " + fit(row.0, 22) + row.1) }
        section("Noise: declared against measured")
        for pair in report.noise.pairs {
            let line = "  " + fit(pair.declared, 12) + fit(pair.measured, 12) + fit(String(pair.takes), 6, alignRight: true)
            out.append(pair.mismatch ? style.paint(line + "  mismatch", .yellow) : line)
        }
        out.append("  mismatches \(report.noise.mismatches) of \(report.noise.compared) compared takes")
        section("Workers (pseudonymous)")
        out.append("  " + fit("worker", 22) + ["takes", "rej %", "verified", "err %", "earned", "€/hour", ""].map { fit($0, 9, alignRight: true) }.joined())
        for worker in report.workers {
            let line = "  " + fit(worker.workerId, 22) + workerFigures(worker).map { fit($0, 9, alignRight: true) }.joined()
                + (worker.flags.isEmpty ? "" : "  stands out: " + worker.flags.joined(separator: ", "))
            out.append(worker.flags.isEmpty ? line : style.paint(line, .red))
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// GitHub-flavoured Markdown with one table per section.
    public static func markdown(_ report: CampaignReport) -> String {
        var out: [String] = ["# Campaign \(report.campaignName)", "", "`\(report.campaignId)`, \(timestamp(report.generatedAt))", ""]
        func table(_ header: [String], _ rows: [[String]], rightFrom: Int = 1) {
            out.append("| " + header.joined(separator: " | ") + " |")
            out.append("|" + header.indices.map { $0 >= rightFrom ? " ---: |" : " --- |" }.joined())
            for row in rows { out.append("| " + row.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |") }
            out.append("")
        }
        out.append("## Totals")
        out.append("")
        table(["figure", "value"], summary(report).map { [$0.0, $0.1] })
        out.append("## Rejections by reason")
        out.append("")
        table(["reason", "takes"], report.rejections.map { [$0.code, String($0.takes)] })
        out.append("## Quotas")
        out.append("")
        for fill in report.quotas {
            let digits = fill.unit == .hours ? 2 : 0
            out.append("### \(fill.name) (\(fill.unit.rawValue))")
            out.append("")
            table(["cell", "target", "min", "max", "actual", "assigned", "state"], fill.cells.map { cell in
                [cell.value, fixed(cell.target, digits), fixed(cell.min, digits), fixed(cell.max, digits),
                 fixed(cell.actual, digits), fixed(cell.inFlight, digits), cell.state?.rawValue ?? "–"]
            })
        }
        out.append("## Verification")
        out.append("")
        table(["figure", "value"], verification(report).map { [$0.0, $0.1] })
        out.append("## Noise: declared against measured")
        out.append("")
        table(["declared", "measured", "takes", "mismatch"], report.noise.pairs.map { [$0.declared, $0.measured, String($0.takes), $0.mismatch ? "yes" : ""] }, rightFrom: 2)
        out.append("## Workers (pseudonymous)")
        out.append("")
        table(["worker", "takes", "rej %", "verified", "err %", "earned", "€/hour", "stands out"], report.workers.map { worker in
            [worker.workerId] + workerFigures(worker).dropLast() + [worker.flags.joined(separator: ", ")]
        })
        return out.joined(separator: "\n")
    }

    static func summary(_ report: CampaignReport) -> [(String, String)] {
        let t = report.totals
        return [
            ("prompts", "\(t.prompts) (\(t.plannedRecordings) recordings planned)"),
            ("takes", String(t.takes)),
            ("accepted", "\(t.accepted) (\(fixed(t.takes > 0 ? Double(t.accepted) / Double(t.takes) * 100 : 0, 1)) %)"),
            ("rejected", String(t.rejected)),
            ("accepted hours", fixed(t.acceptedHours, 3)),
            ("speakers", "\(t.speakers) with accepted takes, \(t.workers) workers"),
            ("paid", Euros.text(t.paidCents)),
            ("speaker cap", "\(report.speakerCap.recordings) takes (\(fixed(report.speakerCap.share * 100, 1)) %), \(report.speakerCap.speakersAtCap) at cap"),
        ]
    }

    static func verification(_ report: CampaignReport) -> [(String, String)] {
        let v = report.verification
        let kinds: [String] = v.backlog.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        let backlog = kinds.isEmpty ? String(v.backlogTotal) : "\(v.backlogTotal) (\(kinds.joined(separator: ", ")))"
        var rows: [(String, String)] = [
            ("backlog", backlog),
            ("pending appeals", String(v.pendingAppeals)),
            ("verified takes", String(v.verified)),
            ("double reviews", String(v.doubleReviews)),
            ("verdict agreement", v.verdictAgreement.map { fixed($0 * 100, 1) + " %" } ?? "–"),
            ("WER between doubles", v.doubleReviewWer.map { fixed($0 * 100, 1) + " %" } ?? "–"),
        ]
        if let rate = v.errorRate, let low = v.intervalLow, let high = v.intervalHigh {
            rows.append(("error rate", "\(fixed(rate * 100, 2)) % (95 % interval \(fixed(low * 100, 2))–\(fixed(high * 100, 2)) %)"))
        } else {
            rows.append(("error rate", "not estimated yet"))
        }
        return rows
    }

    static func workerFigures(_ worker: CampaignReport.WorkerAggregate) -> [String] {
        [String(worker.takes), fixed(worker.rejectionRate * 100, 1), String(worker.verified),
         worker.verifiedErrorRate.map { fixed($0 * 100, 1) } ?? "–", Euros.text(worker.earningsCents),
         worker.effectiveHourlyCents.map { Euros.text(Int($0.rounded())) } ?? "–", ""]
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        return "generated " + formatter.string(from: date)
    }
}
