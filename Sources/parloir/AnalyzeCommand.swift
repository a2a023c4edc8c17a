import ArgumentParser
import AudioQC
import Foundation
import ParloirTerminal

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
        """
    )

    @Flag(name: .long, help: "Print one JSON object per file per line.")
    var json = false

    @Option(name: .long, help: ArgumentHelp("JSON file overriding rule thresholds.", valueName: "FILE"))
    var rules: String?

    @Argument(help: ArgumentHelp("Files or folders to analyse.", valueName: "PATH"))
    var paths: [String]

    func validate() throws {
        if paths.isEmpty { throw ValidationError("give at least one file or folder to analyse") }
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
        let batch = BatchAnalyzer(analyzer: RecordingAnalyzer(rules: ruleSet))
        let output = FileHandle.standardOutput
        if json {
            await batch.run(files) { _, report in
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
        await batch.run(files) { index, report in
            progress?.finish()
            print(table.row(report))
            reports.append(report)
            progress?.update(index + 1)
        }
        progress?.finish()
        print(table.summary(reports))
    }
}
