@testable import AudioQC
import Foundation
import Testing

/// Thresholds live in one rule set, overridable from JSON, and bad rule files say what is wrong.
struct RuleSetTests {
    @Test func partialOverridesKeepTheOtherDefaults() throws {
        let rules = try RuleSet.decode(Data(#"{"snr_reject_db": 20, "max_duration_s": 10}"#.utf8))
        #expect(rules.snrRejectDB == 20)
        #expect(rules.maxDurationS == 10)
        #expect(rules.minDurationS == RuleSet.standard.minDurationS)
        #expect(rules.clippingRejectFraction == 0.001)
    }

    @Test func defaultsAreTheDocumentedOnes() {
        let rules = RuleSet.standard
        #expect(rules.minDurationS == 1.0 && rules.maxDurationS == 15)
        #expect(rules.minSampleRateHz == 16_000 && rules.minSpeechLevelDBFS == -40)
        #expect(rules.clippingRejectFraction == 0.001 && rules.clippingWarnFraction == 0.0001)
        #expect(rules.minSpeechS == 0.3 && rules.maxLeadingSilenceS == 2 && rules.maxTrailingSilenceS == 2)
        #expect(rules.snrRejectDB == 15 && rules.snrWarnDB == 25 && rules.narrowbandRejectHz == 5_500)
        #expect(rules.dcOffsetWarn == 0.05 && rules.truncationMarginS == 0.05)
    }

    @Test func unknownRuleIsAnErrorNamingIt() {
        #expect {
            try RuleSet.decode(Data(#"{"snr_rejct_db": 20}"#.utf8))
        } throws: { error in
            (error as? RuleSetError)?.message.contains("snr_rejct_db") == true
        }
    }

    @Test(arguments: [#"{"snr_reject_db": "loud"}"#, "[1, 2]", "not json", #"{"snr_reject_db": 30, "snr_warn_db": 20}"#,
                      #"{"clip_level_tolerance": 2}"#, #"{"min_duration_s": 20}"#])
    func badRuleFilesAreRefused(_ text: String) {
        #expect(throws: RuleSetError.self) { try RuleSet.decode(Data(text.utf8)) }
    }

    @Test func overridesChangeTheVerdict() {
        let path = Corpus.entry("snr_white_30db.wav").path
        #expect(RecordingAnalyzer().analyze(.file(path)).verdict == .accept)
        var strict = RuleSet.standard
        strict.snrRejectDB = 35
        strict.snrWarnDB = 40
        let report = RecordingAnalyzer(rules: strict).analyze(.file(path))
        #expect(report.verdict == .reject)
        #expect(report.reasons.first?.code == .lowSNR)
        #expect(report.reasons.first?.threshold == 35)
    }

    @Test func everyReasonHasAFrenchHint() {
        for code in ReasonCode.allCases {
            #expect(code.hintFR.count > 40)
            #expect(code.hintFR.contains(" : "), "French typography puts a space before the colon")
        }
    }
}
