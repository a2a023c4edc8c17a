@testable import AudioQC
import CraftedAudio
import Foundation
import Testing

/// The outline a waveform view draws: exact bucket counts, the true extremes of each span, and
/// the same answer whatever the block boundaries, the container or the length.
struct WaveformPeaksTests {
    /// `seconds` of a sine at `amplitude` (full scale 1.0), 16-bit mono.
    static func sine(frequency: Double, amplitude: Double, seconds: Double, sampleRate: Int = 16_000) -> [Int16] {
        (0..<Int(seconds * Double(sampleRate))).map { index in
            Int16((amplitude * 32_767 * sin(2 * .pi * frequency * Double(index) / Double(sampleRate))).rounded())
        }
    }

    /// Each bucket's extremes worked out the slow way: over every sample whose span of time,
    /// `[i, i + 1) / length`, overlaps the bucket's, `[b, b + 1) / buckets` (compared as integers).
    static func expected(_ samples: [Float], buckets: Int) -> (minimum: [Float], maximum: [Float]) {
        let length = samples.count
        var minimum: [Float] = [], maximum: [Float] = []
        for bucket in 0..<buckets {
            let near = max(0, bucket * length / buckets - 2)..<min(length, (bucket + 1) * length / buckets + 2)
            let covered = near.filter { $0 * buckets < (bucket + 1) * length && ($0 + 1) * buckets > bucket * length }.map { samples[$0] }
            minimum.append(covered.min()!)
            maximum.append(covered.max()!)
        }
        return (minimum, maximum)
    }

    @Test func aSineReachesItsAmplitudeInEveryBucket() throws {
        let wav = CraftedAudio.wav(sampleRate: 16_000, channels: 1, samples: Self.sine(frequency: 440, amplitude: 0.5, seconds: 2))
        let peaks = try WaveformPeaks(.bytes(wav), buckets: 100)
        #expect(peaks.minimum.count == 100 && peaks.maximum.count == 100)
        #expect(peaks.sampleRate == 16_000)
        #expect(peaks.frames == 32_000)
        #expect(peaks.durationS == 2)
        // 320 samples a bucket, more than a period (36 samples): every bucket sees a crest and a trough.
        for (low, high) in zip(peaks.minimum, peaks.maximum) {
            #expect(abs(high - 0.5) < 0.002)
            #expect(abs(low + 0.5) < 0.002)
        }
    }

    @Test func silenceIsZerosEverywhere() throws {
        let wav = CraftedAudio.wav(sampleRate: 48_000, channels: 2, frames: 48_000)
        let peaks = try WaveformPeaks(.bytes(wav), buckets: 800)
        #expect(peaks.minimum == [Float](repeating: 0, count: 800))
        #expect(peaks.maximum == [Float](repeating: 0, count: 800))
        #expect(peaks.durationS == 1)
        #expect(peaks.sampleRate == 48_000)
    }

    @Test func aRecordingShorterThanTheBucketsIsStretchedOverThem() throws {
        let samples: [Int16] = [0, 1_000, 2_000, 3_000, 4_000, 5_000, 6_000, 7_000, 8_000, 9_000]
        let peaks = try WaveformPeaks(.bytes(CraftedAudio.wav(sampleRate: 8_000, channels: 1, samples: samples)), buckets: 800)
        #expect(peaks.minimum.count == 800 && peaks.maximum.count == 800)
        #expect(peaks.frames == 10)
        // 80 buckets a sample, each holding that one sample, in order.
        for bucket in 0..<800 {
            let value = Float(samples[bucket / 80]) / 32_768
            #expect(peaks.minimum[bucket] == value && peaks.maximum[bucket] == value, "bucket \(bucket)")
        }
    }

    @Test func aSpikeLandsInTheBucketOfItsTime() throws {
        var samples = [Int16](repeating: 0, count: 1_000)
        samples[503] = 16_384
        samples[504] = -8_192
        let peaks = try WaveformPeaks(.bytes(CraftedAudio.wav(sampleRate: 8_000, channels: 1, samples: samples)), buckets: 10)
        #expect(peaks.maximum == [0, 0, 0, 0, 0, 0.5, 0, 0, 0, 0])
        #expect(peaks.minimum == [0, 0, 0, 0, 0, -0.25, 0, 0, 0, 0])
    }

    @Test func channelsAreMixedToMono() throws {
        // Left at half scale, right silent: the mix is a quarter.
        let frames = 4_000
        let interleaved = (0..<frames * 2).map { $0 % 2 == 0 ? Int16(16_384) : 0 }
        let peaks = try WaveformPeaks(.bytes(CraftedAudio.wav(sampleRate: 16_000, channels: 2, samples: interleaved)), buckets: 4)
        #expect(peaks.maximum == [0.25, 0.25, 0.25, 0.25])
        #expect(peaks.minimum == [0.25, 0.25, 0.25, 0.25])
    }

    /// Bucket spans that straddle the decoder's blocks, and bucket counts that do not divide
    /// the length, give exactly the extremes worked out sample by sample.
    @Test(arguments: [1, 7, 800, 4_000])
    func bucketsAcrossBlocksHoldTheExactExtremes(_ buckets: Int) throws {
        let wav = CraftedAudio.noiseWAV(seconds: 9, sampleRate: 16_000)
        let samples = wav.dropFirst(44).withUnsafeBytes { bytes in
            bytes.bindMemory(to: Int16.self).map { Float(Int16(littleEndian: $0)) / 32_768 }
        }
        #expect(samples.count > 2 * WaveformPeaks.blockFrames)
        let peaks = try WaveformPeaks(.bytes(wav), buckets: buckets)
        let expected = Self.expected(samples, buckets: buckets)
        #expect(peaks.minimum == expected.minimum)
        #expect(peaks.maximum == expected.maximum)
        #expect(peaks.frames == Int64(samples.count))
    }

    @Test func decodingStopsAtTheLongestSpanAsked() throws {
        let wav = CraftedAudio.wav(sampleRate: 16_000, channels: 1, samples: Self.sine(frequency: 200, amplitude: 0.25, seconds: 5))
        let peaks = try WaveformPeaks(.bytes(wav), buckets: 50, maxSeconds: 2)
        #expect(peaks.frames == 32_000)
        #expect(peaks.durationS == 2)
        #expect(peaks.maximum.allSatisfy { abs($0 - 0.25) < 0.002 })
    }

    @Test(arguments: DecodingTests.containers)
    func everyContainerGivesTheSameOutline(_ entry: Corpus.Entry) throws {
        let reference = try WaveformPeaks(.file(Corpus.entry("format_pcm16.wav").path), buckets: 200)
        let peaks = try WaveformPeaks(.file(entry.path), buckets: 200)
        #expect(peaks.minimum.count == 200 && peaks.maximum.count == 200)
        #expect(abs(peaks.durationS - reference.durationS) < 0.1)
        #expect(abs(peaks.maximum.max()! - reference.maximum.max()!) < 0.1)
        #expect(abs(peaks.minimum.min()! - reference.minimum.min()!) < 0.1)
    }

    @Test func undecodableBytesThrow() {
        #expect(throws: DecodeError.self) { try WaveformPeaks(.bytes(Data("not audio at all".utf8)), buckets: 10) }
    }
}
