import Foundation

/// Analyses many files on every core and hands back the reports in input order.
public struct BatchAnalyzer: Sendable {
    public let analyzer: RecordingAnalyzer
    /// Files analysed at once; defaults to the number of active cores.
    public let concurrency: Int

    public init(analyzer: RecordingAnalyzer, concurrency: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.analyzer = analyzer
        self.concurrency = max(1, concurrency)
    }

    /// Analyses `files`, calling `deliver` with each report in input order as soon as it and
    /// all before it are done (so output can stream while later files are still running).
    /// `promptSyllables` gives, by index, the syllables of the prompt a file was recorded for.
    public func run(_ files: [String], promptSyllables: [Int?] = [],
                    deliver: (Int, AnalysisReport) -> Void) async {
        let analyzer = self.analyzer
        await withTaskGroup(of: (Int, AnalysisReport).self) { group in
            var next = 0
            var waiting: [Int: AnalysisReport] = [:]
            var delivered = 0
            func submit() {
                guard next < files.count else { return }
                let index = next, path = files[index]
                let syllables = index < promptSyllables.count ? promptSyllables[index] : nil
                group.addTask { (index, analyzer.analyze(.file(path), promptSyllables: syllables)) }
                next += 1
            }
            for _ in 0..<min(concurrency, files.count) { submit() }
            while let (index, report) = await group.next() {
                waiting[index] = report
                submit()
                while let ready = waiting.removeValue(forKey: delivered) {
                    deliver(delivered, ready)
                    delivered += 1
                }
            }
        }
    }
}
