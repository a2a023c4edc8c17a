@testable import AudioQC
import Foundation
import Testing

/// Levels and clipping figures agree with `sox FILE -n stats`, the tool our users compare with.
struct SoxAgreementTests {
    struct SoxStats {
        var values: [String: String] = [:]
        func number(_ key: String) -> Double? {
            guard let text = values[key] else { return nil }
            // "8.76k" style counts.
            if text.hasSuffix("k") { return Double(text.dropLast()).map { $0 * 1000 } }
            return Double(text)
        }
    }

    static func stats(_ path: String) throws -> SoxStats {
        let result = try #require(runTool(["sox", path, "-n", "stats"]), "sox must be installed (the test command installs it)")
        var stats = SoxStats()
        for line in result.error.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count >= 2 else { continue }
            let key = parts.dropLast().joined(separator: " ")
            stats.values[key] = String(parts.last!)
        }
        return stats
    }

    @Test(arguments: Corpus.entries(where: { $0.file.hasPrefix("clipped_") }))
    func clippedSamplesAgreeWithPeakCount(_ entry: Corpus.Entry) throws {
        let sox = try Self.stats(entry.path)
        let measurements = try RecordingAnalyzer().measure(.file(entry.path))
        let peakCount = try #require(sox.number("Pk count"))
        let ours = Double(measurements.clipping.clippedSamples)
        // sox also counts isolated samples at the peak; runs of two or more are within 5 % of its count.
        #expect(ours <= peakCount + 1)
        #expect(ours >= 0.95 * peakCount - 2, "ours \(ours), sox Pk count \(peakCount)")
        let flat = try #require(sox.number("Flat factor"))
        #expect(abs(measurements.clipping.flatFactorDB - flat) <= 1.0, "ours \(measurements.clipping.flatFactorDB) dB, sox \(flat) dB")
    }

    @Test(arguments: Corpus.entries(where: { $0.file.hasPrefix("clipped_") || $0.file.hasPrefix("clean_") || $0.file.hasPrefix("dc_offset") }))
    func levelsAgreeWithSox(_ entry: Corpus.Entry) throws {
        let sox = try Self.stats(entry.path)
        let metrics = RecordingAnalyzer().analyze(.file(entry.path)).metrics
        #expect(abs(try #require(metrics.peakDBFS) - (try #require(sox.number("Pk lev dB")))) <= 0.02)
        #expect(abs(try #require(metrics.rmsDBFS) - (try #require(sox.number("RMS lev dB")))) <= 0.02)
        #expect(abs(try #require(metrics.dcOffset) - (try #require(sox.number("DC offset")))) <= 1e-4)
    }
}
