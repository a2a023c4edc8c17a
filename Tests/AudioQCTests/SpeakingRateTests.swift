@testable import AudioQC
import Foundation
import Testing
import Transcripts

/// The speaking rate compares a take's speech with the syllables of the prompt it was recorded for.
struct SpeakingRateTests {
    /// `clean_fr-fr_0.wav` says the first sentence of `corpora/make_corpus.py`.
    static let take = Corpus.entry("clean_fr-fr_0.wav").path
    static let sentence = "Allume la lumière de la cuisine."

    @Test func frenchSyllablesAreCountedFromTheSpelling() {
        #expect(FrenchSyllables.count(Self.sentence) == 9)
        #expect(FrenchSyllables.count("Quel temps fera-t-il demain à Lyon ?") == 9)
        // Final mute e, es and verb -ent add nothing; -ment keeps its syllable. (A schwa inside a
        // word, as in "lent(e)ment", is counted: the rate's bounds absorb such slips.)
        #expect(FrenchSyllables.count("porte portes parlent") == 3)
        #expect(FrenchSyllables.count("Les enfants parlent lentement.") == 7)
        #expect(FrenchSyllables.count("l'eau qu'il") == 2)
        #expect(FrenchSyllables.count("Mets un minuteur de 10 minutes.") == 9)
        #expect(FrenchSyllables.count("") == 0)
    }

    @Test func theWholeSentenceAtAnUsualPaceIsAccepted() throws {
        let report = RecordingAnalyzer().analyze(.file(Self.take), promptSyllables: FrenchSyllables.count(Self.sentence))
        let rate = try #require(report.metrics.speakingRateSPS)
        #expect((4...7).contains(rate), "\(rate)")
        #expect(report.verdict == .accept)
    }

    /// The take cut after half its speech, with a pause after it as a worker would leave.
    @Test func halfTheSentenceIsRejected() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("parloir-half-\(UUID().uuidString).wav").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let lead = Corpus.entry("clean_fr-fr_0.wav").truth["leading_silence_s"]!
        let half = Corpus.entry("clean_fr-fr_0.wav").truth["speech_s"]! / 2
        let result = try #require(runTool(["sox", Self.take, path, "trim", "0", String(lead + half), "fade", "t", "0", "0", "0.03", "pad", "0", "0.6"]))
        try #require(result.status == 0, "sox: \(result.error)")
        let report = RecordingAnalyzer().analyze(.file(path), promptSyllables: FrenchSyllables.count(Self.sentence))
        let reason = try #require(report.reasons.first { $0.code == .speakingRate })
        #expect(reason.severity == .reject)
        #expect(reason.threshold == RuleSet.standard.maxSpeakingRateSPS)
        #expect(reason.message.contains("part of the sentence seems missing"))
        #expect(reason.hintFR.contains("lisez toute la phrase affichée, à votre rythme habituel."))
    }

    @Test func aTakeSayingMuchMoreThanThePromptIsRejected() throws {
        let report = RecordingAnalyzer().analyze(.file(Self.take), promptSyllables: FrenchSyllables.count("Oui."))
        let reason = try #require(report.reasons.first { $0.code == .speakingRate })
        #expect(reason.threshold == RuleSet.standard.minSpeakingRateSPS)
        #expect(reason.message.contains("more than the sentence"))
    }

    @Test func withoutAPromptThereIsNoRate() {
        let report = RecordingAnalyzer().analyze(.file(Self.take))
        #expect(report.metrics.speakingRateSPS == nil)
        #expect(!report.reasons.contains { $0.code == .speakingRate })
    }

    /// Under the SNR that rejects a take, its edges and rate are not judged: the worker is told about the noise only.
    @Test func noisyTakesAreRefusedForTheNoiseAlone() throws {
        let noisy = Corpus.entry("snr_white_05db.wav").path
        let report = RecordingAnalyzer().analyze(.file(noisy), promptSyllables: 40)
        #expect(report.reasons.map(\.code) == [.lowSNR])
    }

    @Test func boundsAreCheckedTogether() throws {
        #expect(throws: RuleSetError.self) { try RuleSet.decode(Data(#"{"min_speaking_rate_sps": 12}"#.utf8)) }
        let rules = try RuleSet.decode(Data(#"{"max_speaking_rate_sps": 4}"#.utf8))
        let report = RecordingAnalyzer(rules: rules).analyze(.file(Self.take), promptSyllables: FrenchSyllables.count(Self.sentence))
        #expect(report.reasons.contains { $0.code == .speakingRate && $0.threshold == 4 })
    }
}
