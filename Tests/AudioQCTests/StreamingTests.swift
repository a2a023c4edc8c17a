@testable import AudioQC
import Foundation
import Testing

/// Long recordings stream through the two-thread pipeline and give the same figures as the
/// single-thread path; batches use every core and keep input order.
struct StreamingTests {
    /// A take repeated to `seconds` of audio in a temporary WAV made by sox.
    static func longTake(seconds: Int) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("parloir-long-\(seconds)-\(UUID().uuidString).wav").path
        let source = Corpus.entry("silence_near_limits.wav").path
        let result = try #require(runTool(["sox", source, path, "repeat", "\(seconds / 5)"]))
        try #require(result.status == 0, "sox failed: \(result.error)")
        return path
    }

    @Test func pipelineAndSingleThreadAgree() throws {
        let path = try Self.longTake(seconds: 90)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let piped = try RecordingAnalyzer(stopsAtDurationLimit: false).measure(.file(path))
        var single = RecordingAnalyzer(stopsAtDurationLimit: false)
        single.pipelineSeconds = .max
        let direct = try single.measure(.file(path))
        #expect(piped.metrics == direct.metrics)
        #expect(piped.metrics.durationS! > 89)
        #expect(piped.metrics.speechS! > 10)
    }

    @Test func batchKeepsInputOrder() async {
        let files = Corpus.entries.map(\.path)
        var seen: [Int] = []
        var reports: [AnalysisReport] = []
        await BatchAnalyzer(analyzer: RecordingAnalyzer(), concurrency: 4).run(files) { index, report in
            seen.append(index)
            reports.append(report)
        }
        #expect(seen == Array(files.indices))
        #expect(reports.map(\.file) == files)
        let sequential = files.prefix(5).map { RecordingAnalyzer().analyze(.file($0)) }
        #expect(Array(reports.prefix(5)) == sequential)
    }

    @Test func concurrentAnalysesOfTheSameFileAgree() async {
        let path = Corpus.entry("snr_pink_10db.wav").path
        let reports = await withTaskGroup(of: AnalysisReport.self) { group in
            for _ in 0..<16 { group.addTask { RecordingAnalyzer().analyze(.file(path)) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(reports.map { $0.jsonLine() }).count == 1)
    }
}
