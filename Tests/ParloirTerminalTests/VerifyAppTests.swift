import ParloirTerminal
import Testing

/// What `parloir verify` prints for a task.
@Suite struct VerifyAppTests {
    @Test func anAppealShowsTheRejectionsReasonsMetricsAndTheWorkersComment() {
        let evidence = AppealEvidence(
            comment: "La phrase est complète.",
            reasons: [.init(code: "clipping", message: "3.1 % of samples are clipped (limit 0.1 %)",
                            hintFR: "Le son sature : éloignez-vous un peu du micro.")],
            metrics: [(name: "clipped_fraction", value: "0.031"), (name: "snr_db", value: "38.2")])
        #expect(evidence.lines(style: TerminalStyle(colored: false)) == [
            "  appeal  rejected automatically for:",
            "    clipping  3.1 % of samples are clipped (limit 0.1 %)",
            "      told the worker: Le son sature : éloignez-vous un peu du micro.",
            "    metrics clipped_fraction 0.031 · snr_db 38.2",
            "    worker says: \u{201C}La phrase est complète.\u{201D}",
        ])
        let silent = AppealEvidence(comment: nil, reasons: [], metrics: [])
        #expect(silent.lines(style: TerminalStyle(colored: false)).last == "    worker says: (no comment)")
    }
}
