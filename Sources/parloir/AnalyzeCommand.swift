import ArgumentParser
import AudioQC
import Foundation
import ParloirTerminal
import Transcripts

struct AnalyzeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Judge recordings with the DSP core: verdict, reasons and metrics per file.",
        discussion: """
        Paths may be files or folders (walked recursively for audio files). Every file gets a \
        verdict, even one that cannot be decoded (reason `unreadable`). Exit status is 0 when \
        every path was examined, 2 on bad arguments.

        Examples:
          parloir analyze corpora/samples
          parloir analyze --json take.wav | jq .verdict
          parloir analyze --rules strict.json --json uploads/
          parloir analyze --prompt "Allume la lumière de la cuisine." take.wav
          parloir analyze --prompts takes.tsv takes/     # lines: FILE<TAB>prompt sentence
        """
    )

    @Flag(name: .long, help: "Print one JSON object per file per line.")
    var json = false

    @Option(name: .long, help: ArgumentHelp("JSON file overriding rule thresholds.", valueName: "FILE"))
    var rules: String?

    @Option(name: .long, help: ArgumentHelp("The sentence every file was recorded for: judges the speaking rate.", valueName: "TEXT"))
    var prompt: String?

    @Option(name: .long, help: ArgumentHelp("Tab-separated lines FILE<TAB>sentence (FILE as given or its name): judges each file's speaking rate.", valueName: "FILE"))
    var prompts: String?

    @Option(name: .long, help: ArgumentHelp("Also write, as JSON lines, the features of every frame the speech-edge model judged (to refit it with scripts/fit_edges.py).", valueName: "FILE"))
    var edgeFeatures: String?

    @Flag(name: .long, help: "Measure recordings longer than the duration limit to the end (by default decoding stops one second past it).")
    var fullLength = false

    @Argument(help: ArgumentHelp("Files or folders to analyse.", valueName: "PATH"))
    var paths: [String]

    func validate() throws {
        if paths.isEmpty { throw ValidationError("give at least one file or folder to analyse") }
        if prompt != nil && prompts != nil { throw ValidationError("give --prompt or --prompts, not both") }
    }

    func run() async throws {
        let ruleSet: RuleSet
        let files: [String]
        do {
            ruleSet = try rules.map { path throws(RuleSetError) in try RuleSet.load(contentsOf: path) } ?? .standard
            files = try AudioFileCollector.collect(paths)
        } catch let error as RuleSetError {
            throw CommandLineFailure.badArgument(error.message)
        } catch let error as AudioFileCollector.CollectionError {
            throw CommandLineFailure.badArgument(error.message)
        }
        let syllables = try promptSyllables(for: files)
        if let edgeFeatures { try writeEdgeFeatures(files, rules: ruleSet, to: edgeFeatures) }
        let batch = BatchAnalyzer(analyzer: RecordingAnalyzer(rules: ruleSet, stopsAtDurationLimit: !fullLength))
        let output = FileHandle.standardOutput
        if json {
            await batch.run(files, promptSyllables: syllables) { _, report in
                output.write(Data((report.jsonLine() + "\n").utf8))
            }
            return
        }
        let table = AnalyzeTable(style: .detect(fileDescriptor: STDOUT_FILENO))
        let showProgress = files.count >= 20 && isatty(STDERR_FILENO) == 1
        let progress = showProgress ? ProgressBar(total: files.count, label: "analysing") : nil
        var reports: [AnalysisReport] = []
        reports.reserveCapacity(files.count)
        if files.isEmpty {
            print("no audio files found")
            return
        }
        print(table.header())
        await batch.run(files, promptSyllables: syllables) { index, report in
            progress?.finish()
            print(table.row(report))
            reports.append(report)
            progress?.update(index + 1)
        }
        progress?.finish()
        print(table.summary(reports))
    }

    /// The syllables of each file's prompt, from `--prompt` or `--prompts`.
    func promptSyllables(for files: [String]) throws -> [Int?] {
        if let prompt { return files.map { _ in FrenchSyllables.count(prompt) } }
        guard let prompts else { return [] }
        guard let text = try? String(contentsOfFile: prompts, encoding: .utf8) else {
            throw CommandLineFailure.badArgument("cannot read the prompt file \(prompts)")
        }
        var byName: [String: Int] = [:]
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let fields = line.split(separator: "\t", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            guard fields.count == 2, !fields[0].isEmpty, !fields[1].isEmpty else {
                throw CommandLineFailure.badArgument("\(prompts), line \(number + 1): expected FILE<TAB>sentence")
            }
            byName[fields[0]] = FrenchSyllables.count(fields[1])
        }
        return files.map { byName[$0] ?? byName[($0 as NSString).lastPathComponent] }
    }

    /// Writes `{file, side, frame, seconds, features}` lines for every file that decodes.
    func writeEdgeFeatures(_ files: [String], rules: RuleSet, to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw CommandLineFailure.badArgument("cannot write \(path)")
        }
        defer { try? handle.close() }
        struct Line: Encodable {
            let file: String, side: String, frame: Int, seconds: Double, features: [Float]
        }
        let encoder = JSONEncoder()
        let analyzer = RecordingAnalyzer(rules: rules, stopsAtDurationLimit: !fullLength)
        for file in files {
            guard let rows = try? analyzer.edgeFeatures(of: .file(file)) else { continue }
            for row in rows {
                let line = Line(file: file, side: row.side, frame: row.frame, seconds: row.seconds, features: row.features)
                handle.write(try encoder.encode(line) + Data([0x0A]))
            }
        }
    }
}
