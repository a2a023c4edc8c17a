@testable import AudioQC
import Foundation
import Testing
import Transcripts

/// The realistic-noise corpus (`corpora/rooms`, made by `corpora/make_rooms.py`): French takes
/// mixed with babble, TV, music, café, street and car noise at 5 to 30 dB, noise that starts or
/// stops, slams and coughs, reverberation, and takes cut at an edge. The bounds are the
/// figures the README reports for this set (`scripts/evaluate_rooms.sh`).
struct RoomsCorpusTests {
    struct Entry: Decodable, Sendable, CustomTestStringConvertible {
        let file: String
        let category: String
        let snrDB: Double?
        let prompt: String
        let verdict: String
        let reasons: [[String]]
        let truth: [String: Double]

        enum CodingKeys: String, CodingKey {
            case file, category, prompt, verdict, reasons, truth
            case snrDB = "snr_db"
        }

        var testDescription: String { file }
        var path: String { RoomsCorpusTests.directory.appendingPathComponent(file).path }
        var isCut: Bool { category == "cut" }

        /// The `low_snr` severities the rules give anywhere within the ±3 dB the SNR is measured to.
        var intendedSNRSeverities: Set<String?> {
            guard let snr = snrDB else { return [nil] }
            return Set([snr - 3, snr, snr + 3].map { $0 < 15 ? "reject" : $0 < 25 ? "warn" : nil })
        }
    }

    private struct Manifest: Decodable { let files: [Entry] }

    static let directory = Corpus.root.appendingPathComponent("corpora/rooms")
    static let entries: [Entry] = {
        let data = try! Data(contentsOf: directory.appendingPathComponent("manifest.json"))
        return try! JSONDecoder().decode(Manifest.self, from: data).files
    }()

    static let reports: [String: AnalysisReport] = {
        var reports: [String: AnalysisReport] = [:]
        for entry in entries { reports[entry.file] = RecordingAnalyzer().analyze(.file(entry.path)) }
        return reports
    }()

    static let edgeCases = entries.filter { !$0.isCut && ($0.snrDB ?? 100) >= 10 }

    /// Reasons a worker could be refused for while the take is good.
    static let watched: Set<ReasonCode> = [.truncatedStart, .truncatedEnd, .noSpeech, .leadingSilence, .trailingSilence, .lowSNR, .speakingRate]

    @Test(arguments: entries.filter { !$0.isCut && ($0.snrDB ?? 100) >= 20 })
    func goodTakesAtTwentyDecibelsAndMoreAreNeverRejected(_ entry: Entry) throws {
        let report = try #require(Self.reports[entry.file])
        #expect(report.verdict == .accept, "\(report.reasons.map(\.message))")
        #expect(!report.reasons.contains { Self.watched.contains($0.code) && $0.severity == .reject })
    }

    /// At 10 to 15 dB a take may be refused for its noise, which the rules intend; refusing it
    /// for anything else is a false reason. Noise abutting the speech at 10 dB still fools the
    /// detector on two takes of the set (the README says so).
    @Test func rejectionsAtTenToFifteenDecibelsAreThoseTheRulesIntend() throws {
        var unintended: [String] = []
        for entry in Self.entries where !entry.isCut && (10...15).contains(entry.snrDB ?? 0) {
            let report = try #require(Self.reports[entry.file])
            let expected = Set(entry.reasons.map(\.first!))
            for reason in report.reasons where reason.severity == .reject {
                if reason.code == .lowSNR ? !entry.intendedSNRSeverities.contains("reject") : !expected.contains(reason.code.rawValue) {
                    unintended.append("\(entry.file): \(reason.code.rawValue)")
                }
            }
        }
        #expect(unintended.count <= 2, "\(unintended)")
    }

    @Test func speechEdgesLandWithinOneHundredMillisecondsOnNineTakesInTen() throws {
        var within = 0
        var misses: [String] = []
        for entry in Self.edgeCases {
            let metrics = try #require(Self.reports[entry.file]).metrics
            let start = try #require(metrics.leadingSilenceS)
            let end = try #require(metrics.durationS) - (try #require(metrics.trailingSilenceS))
            let startError = start - entry.truth["speech_start_s"]!, endError = end - entry.truth["speech_end_s"]!
            if abs(startError) <= 0.1 && abs(endError) <= 0.1 {
                within += 1
            } else {
                misses.append("\(entry.file) \(Int(startError * 1000))/\(Int(endError * 1000)) ms")
            }
        }
        #expect(Double(within) >= 0.9 * Double(Self.edgeCases.count), "\(within) of \(Self.edgeCases.count); misses: \(misses)")
    }

    /// The target is nine in ten; street noise whose loudest moment (a passing vehicle) falls
    /// under the speech cannot be seen in the pauses, and the set holds six such takes.
    @Test func snrLandsWithinThreeDecibelsOnMostTakes() throws {
        let mixed = Self.entries.filter { (5...30).contains($0.snrDB ?? -1) }
        var within = 0
        for entry in mixed {
            if let measured = Self.reports[entry.file]?.metrics.snrDB, abs(measured - entry.snrDB!) <= 3 { within += 1 }
        }
        #expect(Double(within) >= 0.85 * Double(mixed.count), "\(within) of \(mixed.count)")
        let withoutStreet = mixed.filter { !$0.file.hasPrefix("street") }
        let close = withoutStreet.filter { abs((Self.reports[$0.file]?.metrics.snrDB ?? 999) - $0.snrDB!) <= 3 }.count
        #expect(Double(close) >= 0.9 * Double(withoutStreet.count), "\(close) of \(withoutStreet.count) without street noise")
    }

    @Test(arguments: entries.filter(\.isCut))
    func speechCutAtAnEdgeIsFoundUnderNoise(_ entry: Entry) throws {
        let report = try #require(Self.reports[entry.file])
        let expected = entry.reasons.map(\.first!).filter { $0.hasPrefix("truncated") }
        for code in expected { #expect(report.reasons.contains { $0.code.rawValue == code && $0.severity == .reject }) }
    }

    /// Music, engines and traffic in the pauses are not mains hum.
    @Test func backgroundToneIsNotTakenForMainsHum() {
        let warned = Self.entries.filter { Self.reports[$0.file]?.reasons.contains { $0.code == .mainsHum } == true }
        #expect(warned.isEmpty, "\(warned.map(\.file))")
    }

    /// Read as prompted, every take whose edges are trusted is within the speaking-rate bounds.
    @Test func takesReadAsPromptedKeepAPlausibleSpeakingRate() throws {
        for entry in Self.edgeCases {
            let report = RecordingAnalyzer().analyze(.file(entry.path), promptSyllables: FrenchSyllables.count(entry.prompt))
            let rate = try #require(report.metrics.speakingRateSPS, "\(entry.file)")
            #expect((3...9).contains(rate), "\(entry.file): \(rate) syllables per second")
            #expect(!report.reasons.contains { $0.code == .speakingRate }, "\(entry.file)")
        }
    }
}
