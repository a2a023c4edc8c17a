@testable import AudioQC
import CraftedAudio
import Foundation
import Testing

/// Whatever an upload's bytes claim, the decoder refuses impossible headers before it sizes
/// anything from them, and stops decoding once a recording is known to be too long.
struct DecoderLimitTests {
    /// 46 bytes: a WAV header declaring 2 147 483 647 Hz and one frame.
    @Test func aRateBombIsRefusedFromItsHeader() {
        let bomb = CraftedAudio.wav(sampleRate: 2_147_483_647, channels: 1, frames: 1)
        #expect(bomb.count == 46)
        let report = RecordingAnalyzer().analyze(.bytes(bomb))
        #expect(report.verdict == .reject)
        #expect(report.reasons.map(\.code) == [.unsupportedFormat])
        #expect(report.reasons.first?.message.contains("2147483647 Hz") == true)
        #expect(report.reasons.first?.hintFR.contains(" : ") == true)
        #expect(report.metrics.durationS == nil)
        #expect(report.isUndecodable)
    }

    @Test(arguments: [UInt32(4_000), 7_999, 192_001, 1_000_000])
    func sampleRatesOutsideTheLimitsAreRefused(_ rate: UInt32) {
        let report = RecordingAnalyzer().analyze(.bytes(CraftedAudio.wav(sampleRate: rate, channels: 1, frames: 100)))
        #expect(report.reasons.map(\.code) == [.unsupportedFormat], "\(rate) Hz")
    }

    @Test(arguments: [UInt32(8_000), 192_000])
    func sampleRatesAtTheLimitsAreRead(_ rate: UInt32) {
        let report = RecordingAnalyzer().analyze(.bytes(CraftedAudio.wav(sampleRate: rate, channels: 1, frames: Int(rate) * 2)))
        #expect(!report.isUndecodable, "\(rate) Hz")
        #expect(report.metrics.sampleRate == Int(rate))
        #expect(report.metrics.durationS == 2)
    }

    @Test func aThousandChannelsAreRefused() {
        let report = RecordingAnalyzer().analyze(.bytes(CraftedAudio.wav(sampleRate: 16_000, channels: 1_024, frames: 2)))
        #expect(report.reasons.map(\.code) == [.unsupportedFormat])
        #expect(report.reasons.first?.message.contains("1024 channels") == true)
    }

    /// Eight channels are read, mixed down in small chunks whatever the block size.
    @Test func eightChannelsAreMixedDown() {
        let report = RecordingAnalyzer().analyze(.bytes(CraftedAudio.wav(sampleRate: 16_000, channels: 8, frames: 40_000, value: 1_000)))
        #expect(!report.isUndecodable)
        #expect(report.metrics.channels == 8)
        #expect(report.metrics.durationS == 2.5)
        #expect(abs((report.metrics.dcOffset ?? 0) - 1_000.0 / 32_768) < 1e-4)
    }

    /// 100 hours of silence in 1.3 MB of FLAC: decoding stops one second past the longest
    /// duration the rules accept, and the verdict is `too_long` without reading the rest.
    @Test func hoursOfCompressedSilenceStopAtTheDurationLimit() throws {
        let bomb = CraftedAudio.silentFLAC(seconds: 100 * 3_600)
        #expect(bomb.count < 1_500_000)
        let path = try CraftedAudio.temporaryFile(bomb, suffix: ".flac")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let measurements = try RecordingAnalyzer().measure(.file(path))
        #expect(measurements.stoppedAtS == 16)
        #expect(measurements.metrics.durationS == 16)
        #expect(measurements.metrics.trailingSilenceS == nil)
        let report = RecordingAnalyzer().analyze(.file(path))
        #expect(report.reasons.contains { $0.code == .tooLong && $0.severity == .reject && $0.value == 16 })
        #expect(!report.reasons.contains { $0.code == .truncatedEnd || $0.code == .trailingSilence })
        var rules = RuleSet.standard
        rules.maxDurationS = 4
        #expect(try RecordingAnalyzer(rules: rules).measure(.file(path)).stoppedAtS == 5)
    }

    /// The hand-made FLAC is a real FLAC stream: a short one decodes to its full length.
    @Test func craftedFLACDecodes() throws {
        let path = try CraftedAudio.temporaryFile(CraftedAudio.silentFLAC(seconds: 12), suffix: ".flac")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let measurements = try RecordingAnalyzer().measure(.file(path))
        #expect(measurements.stoppedAtS == nil)
        #expect(abs((measurements.metrics.durationS ?? 0) - 12.288) < 0.01, "twelve seconds rounded up to whole frames")
    }

    /// A recording exactly at the limit plus one second is read to its end, not cut.
    @Test func aRecordingEndingAtTheStopIsNotCut() {
        let wav = CraftedAudio.wav(sampleRate: 16_000, channels: 1, frames: 16 * 16_000)
        let report = RecordingAnalyzer().analyze(.bytes(wav))
        #expect(report.metrics.durationS == 16)
        #expect(report.reasons.first { $0.code == .tooLong }?.message.contains("not analysed") == false)
    }
}
