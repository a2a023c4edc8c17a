@testable import AudioQC
import CraftedAudio
import Foundation
import Testing

/// libsndfile decodes every container, from a path and from bytes in memory, and anything it
/// cannot decode becomes an `unreadable` rejection, never a crash.
struct DecodingTests {
    static let containers = Corpus.entries(where: { $0.file.hasPrefix("format") })

    @Test(arguments: containers)
    func everyContainerGivesTheSameJudgement(_ entry: Corpus.Entry) throws {
        let reference = RecordingAnalyzer().analyze(.file(Corpus.entry("format_pcm16.wav").path)).metrics
        let metrics = RecordingAnalyzer().analyze(.file(entry.path)).metrics
        #expect(abs(try #require(metrics.durationS) - reference.durationS!) < 0.1)
        #expect(abs(try #require(metrics.snrDB) - reference.snrDB!) < 8)
        #expect(abs(try #require(metrics.speechLevelDBFS) - reference.speechLevelDBFS!) < 1)
        #expect(abs(try #require(metrics.leadingSilenceS) - reference.leadingSilenceS!) < 0.06)
    }

    @Test(arguments: Corpus.entries)
    func bytesInMemoryGiveTheSameReportAsTheFile(_ entry: Corpus.Entry) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: entry.path))
        let fromFile = RecordingAnalyzer().analyze(.file(entry.path), name: entry.file)
        let fromBytes = RecordingAnalyzer().analyze(.bytes(data), name: entry.file)
        #expect(fromFile.verdict == fromBytes.verdict)
        #expect(fromFile.metrics == fromBytes.metrics)
        #expect(fromFile.reasons.map(\.code) == fromBytes.reasons.map(\.code))
    }

    @Test func emptyBytesAreUnreadable() {
        let report = RecordingAnalyzer().analyze(.bytes(Data()))
        #expect(report.verdict == .reject)
        #expect(report.reasons.map(\.code) == [.unreadable])
        #expect(report.metrics.durationS == nil)
    }

    @Test func missingFileIsUnreadable() {
        let report = RecordingAnalyzer().analyze(.file("/nonexistent/take.wav"))
        #expect(report.reasons.map(\.code) == [.unreadable])
    }

    /// Random bytes of many sizes, and every cut of a real WAV, never crash the decoder.
    @Test func garbageAndTruncationNeverCrash() throws {
        var generator = SystemRandomNumberGenerator()
        for size in [1, 2, 3, 4, 11, 12, 44, 45, 100, 1_000, 10_000] {
            let bytes = Data((0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) })
            let report = RecordingAnalyzer().analyze(.bytes(bytes))
            #expect(report.verdict == .reject)
        }
        var riff = Data("RIFF".utf8) + Data([0xFF, 0xFF, 0xFF, 0x7F]) + Data("WAVEfmt ".utf8)
        riff += Data(repeating: 0xFF, count: 64)
        #expect(RecordingAnalyzer().analyze(.bytes(riff)).verdict == .reject)

        let wav = try Data(contentsOf: URL(fileURLWithPath: Corpus.entry("format_pcm16.wav").path))
        for cut in stride(from: 0, to: 4_000, by: 7) + [wav.count / 3, wav.count / 2, wav.count - 1] {
            let report = RecordingAnalyzer().analyze(.bytes(wav.prefix(cut)))
            if cut < 44 { #expect(report.reasons.map(\.code) == [.unreadable], "cut at \(cut)") }
        }
        let flac = try Data(contentsOf: URL(fileURLWithPath: Corpus.entry("format.flac").path))
        for cut in stride(from: 0, to: flac.count, by: max(1, flac.count / 40)) {
            _ = RecordingAnalyzer().analyze(.bytes(flac.prefix(cut)))
        }
    }

    /// Float samples are whatever the bytes say: NaN and infinities are silenced, values past
    /// 60 dB over full scale are clamped there, so that no power overflows (3e38 used to trap
    /// in the level histogram).
    @Test func floatSamplesFarPastFullScaleAreBounded() throws {
        let samples = (0..<32_000).map { index -> Float in
            switch index % 4 {
            case 0: return 3e38
            case 1: return -3e38
            case 2: return index % 8 == 2 ? .nan : -.infinity
            default: return 0.25
            }
        }
        let report = RecordingAnalyzer().analyze(.bytes(CraftedAudio.floatWAV(sampleRate: 16_000, samples: samples)))
        #expect(!report.isUndecodable)
        #expect(report.metrics.durationS == 2)
        #expect(report.metrics.peakDBFS == 60)
        #expect(report.jsonLine().contains("\"peak_dbfs\":60"))
    }

    @Test func truncatedDataIsAnalysedAsFarAsItGoes() throws {
        let wav = try Data(contentsOf: URL(fileURLWithPath: Corpus.entry("format_pcm16.wav").path))
        let half = RecordingAnalyzer().analyze(.bytes(wav.prefix(44 + 32_000)))
        #expect(half.metrics.durationS == 1.0)
    }
}
