@testable import AudioQC
import Foundation
import Testing

/// Every file of the sample corpus gets the verdict, reasons and metrics its truth says.
struct CorpusVerdictTests {
    let analyzer = RecordingAnalyzer()

    @Test(arguments: Corpus.entries)
    func verdictAndReasonsMatchTheTruth(_ entry: Corpus.Entry) {
        let report = analyzer.analyze(.file(entry.path))
        #expect(report.verdict.rawValue == entry.verdict, "\(entry.note)")
        let found = report.reasons.map { "\($0.code.rawValue)/\($0.severity.rawValue)" }.sorted()
        #expect(found == entry.expectedReasons, "\(entry.note): \(report.reasons.map(\.message))")
    }

    @Test(arguments: Corpus.entries(where: { $0.truth["snr_db"] != nil }))
    func snrIsWithinThreeDecibels(_ entry: Corpus.Entry) throws {
        let truth = try #require(entry.truth["snr_db"])
        let measured = try #require(analyzer.analyze(.file(entry.path)).metrics.snrDB)
        #expect(abs(measured - truth) <= 3, "\(entry.file): measured \(measured) dB, truth \(truth) dB")
    }

    /// Boundaries within 50 ms wherever speech stands 10 dB or more over the noise; at 5 dB a
    /// soft onset sinks under the noise and up to 75 ms are allowed.
    @Test(arguments: Corpus.entries(where: { $0.truth["leading_silence_s"] != nil }))
    func silencesAreWithinFiftyMilliseconds(_ entry: Corpus.Entry) throws {
        let metrics = analyzer.analyze(.file(entry.path)).metrics
        let tolerance = (entry.truth["snr_db"] ?? 100) < 10 ? 0.075 : 0.05
        let leading = try #require(metrics.leadingSilenceS)
        let trailing = try #require(metrics.trailingSilenceS)
        #expect(abs(leading - entry.truth["leading_silence_s"]!) <= tolerance, "\(entry.file): leading \(leading)")
        #expect(abs(trailing - entry.truth["trailing_silence_s"]!) <= tolerance, "\(entry.file): trailing \(trailing)")
    }

    @Test(arguments: Corpus.entries(where: { $0.truth["dc_offset"] != nil }))
    func dcOffsetIsWithinOneHundredth(_ entry: Corpus.Entry) throws {
        let measured = try #require(analyzer.analyze(.file(entry.path)).metrics.dcOffset)
        #expect(abs(measured - entry.truth["dc_offset"]!) <= 0.01)
    }

    @Test(arguments: Corpus.entries(where: { $0.truth["duration_s"] != nil }))
    func durationMatches(_ entry: Corpus.Entry) throws {
        let measured = try #require(RecordingAnalyzer(stopsAtDurationLimit: false).analyze(.file(entry.path)).metrics.durationS)
        #expect(abs(measured - entry.truth["duration_s"]!) <= 0.001)
    }

    @Test(arguments: Corpus.entries(where: { $0.truth["speech_s"] != nil }))
    func speechDurationMatches(_ entry: Corpus.Entry) throws {
        let measured = try #require(analyzer.analyze(.file(entry.path)).metrics.speechS)
        #expect(abs(measured - entry.truth["speech_s"]!) <= 0.1)
    }

    @Test(arguments: Corpus.entries(where: { $0.truth["clipped_fraction"] != nil }))
    func clippingMatchesTheTruth(_ entry: Corpus.Entry) throws {
        let metrics = analyzer.analyze(.file(entry.path)).metrics
        let fraction = try #require(metrics.clippedFraction)
        let runs = try #require(metrics.clippedRuns)
        let truth = entry.truth["clipped_fraction"]!
        #expect(abs(fraction - truth) <= 0.02 * truth + 1e-7, "\(entry.file): \(fraction) vs \(truth)")
        #expect(abs(Double(runs) - entry.truth["clipped_runs"]!) <= 2)
    }

    @Test(arguments: Corpus.entries(where: { $0.truth["sample_rate"] != nil || $0.truth["channels"] != nil }))
    func formatFiguresMatch(_ entry: Corpus.Entry) {
        let metrics = analyzer.analyze(.file(entry.path)).metrics
        if let rate = entry.truth["sample_rate"] { #expect(metrics.sampleRate == Int(rate)) }
        if let channels = entry.truth["channels"] { #expect(metrics.channels == Int(channels)) }
    }

    @Test func blindEstimateIsUsedWhenThereIsNoPause() throws {
        let measurements = try analyzer.measure(.file(Corpus.entry("cut_both_white_20db.wav").path))
        #expect(measurements.snrMethod == .blind)
        let clean = try analyzer.measure(.file(Corpus.entry("snr_white_20db.wav").path))
        #expect(clean.snrMethod == .pauses)
    }

    @Test func narrowbandIsMeasuredUnderFourKilohertz() throws {
        let telephone = try #require(analyzer.analyze(.file(Corpus.entry("telephone_upsampled.wav").path)).metrics.bandwidthHz)
        let wide = try #require(analyzer.analyze(.file(Corpus.entry("format_pcm16.wav").path)).metrics.bandwidthHz)
        #expect(telephone < 4_200)
        #expect(wide > 7_000)
    }

    @Test func humStandsOutOnlyWhereThereIsHum() throws {
        let hum = try #require(analyzer.analyze(.file(Corpus.entry("hum_50hz.wav").path)).metrics.humDB)
        #expect(hum > 20)
        for entry in Corpus.entries(where: { $0.file.hasPrefix("clean_") }) {
            let clean = try #require(analyzer.analyze(.file(entry.path)).metrics.humDB)
            #expect(clean < 5, "\(entry.file): \(clean) dB")
        }
    }
}
