@testable import AudioQC
import Foundation
import Testing

/// The export resampler: flat to 0.9 × Nyquist, ≥ 80 dB of rejection from Nyquist up, and the
/// same output as sox's `rate` on the same signals.
struct ResamplerTests {
    static let conversions: [(Int, Int)] = [(48_000, 16_000), (44_100, 16_000), (22_050, 16_000), (8_000, 16_000), (16_000, 22_050)]

    static func tone(_ frequency: Double, rate: Int, seconds: Double = 1, amplitude: Float = 0.5) -> [Float] {
        (0..<Int(seconds * Double(rate))).map { amplitude * Float(sin(2 * Double.pi * frequency * Double($0) / Double(rate))) }
    }

    /// RMS away from the edges (the first and last 100 ms).
    static func rms(_ samples: [Float], rate: Int) -> Double {
        let margin = rate / 10
        let middle = samples[margin..<(samples.count - margin)]
        return (middle.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(middle.count)).squareRoot()
    }

    /// Amplitude of the component at `frequency`, by projection on sine and cosine.
    static func amplitude(_ samples: [Float], at frequency: Double, rate: Int) -> Double {
        let margin = rate / 10
        var c = 0.0, s = 0.0
        for index in margin..<(samples.count - margin) {
            let phase = 2 * Double.pi * frequency * Double(index) / Double(rate)
            c += Double(samples[index]) * cos(phase)
            s += Double(samples[index]) * sin(phase)
        }
        return 2 * (c * c + s * s).squareRoot() / Double(samples.count - 2 * margin)
    }

    static func decibels(_ ratio: Double) -> Double { 20 * log10(ratio) }

    /// With `PARLOIR_FIGURES=1` the measured figures are printed (`scripts/resampler_figures.sh`).
    static func report(_ line: String) {
        if ProcessInfo.processInfo.environment["PARLOIR_FIGURES"] == "1" { print("figure: " + line) }
    }

    @Test(arguments: conversions)
    func passbandIsFlatTo90PercentOfNyquist(input: Int, output: Int) {
        let nyquist = Double(min(input, output)) / 2
        for frequency in [100, 1000, 0.5 * nyquist, 0.8 * nyquist, 0.9 * nyquist] {
            let source = Self.tone(frequency, rate: input)
            let converted = Resampler.convert(source, from: input, to: output)
            #expect(converted.count == Resampler.outputCount(frames: source.count, from: input, to: output))
            let gain = Self.decibels(Self.rms(converted, rate: output) / Self.rms(source, rate: input))
            #expect(abs(gain) <= 0.1, "\(input)→\(output) Hz at \(frequency) Hz: \(gain) dB")
            Self.report(String(format: "passband %d→%d Hz at %.0f Hz: %+.4f dB", input, output, frequency, gain))
        }
    }

    @Test(arguments: conversions.filter { $0.0 > $0.1 })
    func everythingAboveTheNewNyquistIsRejectedBy80dB(input: Int, output: Int) {
        let nyquist = Double(output) / 2
        for frequency in [nyquist, 1.05 * nyquist, 1.3 * nyquist, 2 * nyquist, 0.95 * Double(input) / 2] where frequency < Double(input) / 2 {
            let source = Self.tone(frequency, rate: input)
            let converted = Resampler.convert(source, from: input, to: output)
            let rejection = Self.decibels(Self.rms(converted, rate: output) / Self.rms(source, rate: input))
            #expect(rejection <= -80, "\(input)→\(output) Hz at \(frequency) Hz: \(rejection) dB")
            Self.report(String(format: "stopband %d→%d Hz at %.0f Hz: %.1f dB", input, output, frequency, rejection))
        }
    }

    @Test(arguments: conversions.filter { $0.0 < $0.1 })
    func upsamplingLeavesNoImages(input: Int, output: Int) {
        for frequency in [1000, 0.5 * Double(input) / 2, 0.9 * Double(input) / 2] {
            let converted = Resampler.convert(Self.tone(frequency, rate: input), from: input, to: output)
            let image = Double(input) - frequency
            let level = Self.decibels(Self.amplitude(converted, at: image, rate: output) / 0.5)
            #expect(level <= -80, "\(input)→\(output) Hz: image of \(frequency) Hz at \(image) Hz is \(level) dB")
            Self.report(String(format: "image %d→%d Hz of %.0f Hz: %.1f dB", input, output, frequency, level))
        }
    }

    @Test func blocksGiveTheSameOutputAsOneCall() {
        let source = Self.tone(440, rate: 44_100, seconds: 0.5) + Self.tone(3000, rate: 44_100, seconds: 0.5)
        let whole = Resampler.convert(source, from: 44_100, to: 16_000)
        let streaming = Resampler(from: 44_100, to: 16_000)
        var pieces: [Float] = []
        var offset = 0
        for size in [1, 7, 1000, 4096, 3, 20_000] where offset < source.count {
            pieces += streaming.process(Array(source[offset..<min(source.count, offset + size)]))
            offset += size
        }
        pieces += streaming.process(Array(source[min(offset, source.count)...]))
        pieces += streaming.finish()
        #expect(pieces == whole)
    }

    /// Runs sox on raw 32-bit float samples and reads its output back.
    static func sox(_ samples: [Float], from input: Int, to output: Int) throws -> [Float] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("parloir-rate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = folder.appendingPathComponent("in.f32").path, converted = folder.appendingPathComponent("out.f32").path
        try samples.withUnsafeBytes { Data($0) }.write(to: URL(fileURLWithPath: source))
        _ = try #require(runTool(["sox", "-t", "f32", "-r", String(input), "-c", "1", source, "-t", "f32", "-r", String(output), converted, "rate"]),
                         "sox must be installed (the test command installs it)")
        let data = try Data(contentsOf: URL(fileURLWithPath: converted))
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    @Test(arguments: conversions)
    func agreesWithSoxRateOnASweep(input: Int, output: Int) throws {
        // A logarithmic sweep from 50 Hz to 0.85 × the lower Nyquist frequency, 2 s.
        let top = 0.85 * Double(min(input, output)) / 2
        let count = 2 * input
        let sweep = (0..<count).map { index -> Float in
            let t = Double(index) / Double(input), duration = 2.0
            let k = log(top / 50)
            return 0.5 * Float(sin(2 * Double.pi * 50 * duration / k * (exp(k * t / duration) - 1)))
        }
        let ours = Resampler.convert(sweep, from: input, to: output)
        let theirs = try Self.sox(sweep, from: input, to: output)
        #expect(abs(ours.count - theirs.count) <= 1)
        let length = min(ours.count, theirs.count)
        let difference = zip(ours.prefix(length), theirs.prefix(length)).map { $0 - $1 }
        let residual = Self.decibels(Self.rms(difference, rate: output) / Self.rms(Array(theirs.prefix(length)), rate: output))
        #expect(residual <= -60, "\(input)→\(output) Hz: ours and sox's differ by \(residual) dB")
        Self.report(String(format: "sox rate residual %d→%d Hz on a 50 Hz–%.0f Hz sweep: %.1f dB", input, output, top, residual))
    }

    @Test func soxRejectsWhatWeRejectAboveNyquist() throws {
        let source = Self.tone(9000, rate: 48_000)
        let ours = Self.decibels(Self.rms(Resampler.convert(source, from: 48_000, to: 16_000), rate: 16_000) / Self.rms(source, rate: 48_000))
        let theirs = Self.decibels(Self.rms(try Self.sox(source, from: 48_000, to: 16_000), rate: 16_000) / Self.rms(source, rate: 48_000))
        #expect(ours <= -80 && theirs <= -80, "ours \(ours) dB, sox \(theirs) dB")
        Self.report(String(format: "9 kHz tone 48→16 kHz: ours %.1f dB, sox %.1f dB", ours, theirs))
    }

    @Test func filesAreConvertedToMono16BitWAV() throws {
        let destination = FileManager.default.temporaryDirectory.appendingPathComponent("parloir-pcm-\(UUID().uuidString).wav").path
        defer { try? FileManager.default.removeItem(atPath: destination) }
        let sample = Corpus.directory.appendingPathComponent("format_stereo.wav").path
        let frames = try convertToPCMWAV(.file(sample), destination: destination, sampleRate: 8000)
        let reader = try SoundFileReader(source: .file(destination))
        #expect(reader.sampleRate == 8000 && reader.channels == 1 && Int(reader.declaredFrames) == frames)
        let info = try #require(runTool(["soxi", destination]))
        #expect(info.output.contains("16-bit") && info.output.contains("Channels       : 1"))
    }
}
