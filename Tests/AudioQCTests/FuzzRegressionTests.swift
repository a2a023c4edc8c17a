@testable import AudioQC
import Foundation
import Testing

/// Every input in `FuzzRegressions/` (what `scripts/fuzz.sh` found, and hand-made hostile
/// uploads) ends in a verdict, through the bytes the fuzzer used and through a file as the
/// upload route reads it, and the work it costs stays bounded.
struct FuzzRegressionTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("FuzzRegressions")

    static let files: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted()
    }()

    @Test func theRegressionFolderHoldsInputs() {
        #expect(Self.files.count >= 10)
    }

    @Test(arguments: files)
    func aHostileInputIsJudgedNotCrashedOn(_ name: String) throws {
        let path = Self.directory.appendingPathComponent(name).path
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let analyzer = RecordingAnalyzer()
        let clock = ContinuousClock()
        let start = clock.now
        let fromBytes = analyzer.analyze(.bytes(bytes), name: name)
        let elapsed = clock.now - start
        let fromFile = analyzer.analyze(.file(path), name: name)

        #expect(!fromBytes.jsonLine().isEmpty)
        if fromBytes.verdict == .reject { #expect(!fromBytes.reasons.isEmpty) }
        // Decoding stops one second past the longest duration accepted, whatever the header says.
        #expect((fromBytes.metrics.durationS ?? 0) <= analyzer.rules.maxDurationS + 1)
        // A debug build judges sixteen seconds of audio in well under this.
        #expect(elapsed < .seconds(30), "\(elapsed)")
        // The route reads a staging file, the fuzzer bytes in memory: the same verdict either way.
        #expect(fromFile.verdict == fromBytes.verdict)
        #expect(fromFile.reasons.map(\.code) == fromBytes.reasons.map(\.code))
        #expect(fromFile.metrics == fromBytes.metrics)
    }
}
