import Foundation
import Testing

/// `parloir analyze` as a person or a script runs it: the built binary, real files.
struct AnalyzeCommandTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let samples = root.appendingPathComponent("corpora/samples").path

    /// The `parloir` binary built next to this test bundle.
    static var binary: String {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while directory.lastPathComponent.hasSuffix(".xctest") || directory.lastPathComponent == "Contents" || directory.lastPathComponent == "MacOS" {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent("parloir").path
    }

    static func run(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
        try runTool([binary] + arguments)
    }

    /// Runs `command[0]` (a path) with the rest as arguments; returns its status and output.
    static func runTool(_ command: [String]) throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let error = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: error, as: UTF8.self))
    }

    @Test func jsonLineHasExactlyTheDocumentedKeysInOrder() throws {
        let result = try Self.run(["analyze", "--json", "\(Self.samples)/silence_long_leading.wav"])
        #expect(result.status == 0)
        let line = result.output.trimmingCharacters(in: .newlines)
        #expect(!line.contains("\n"))
        #expect(line.hasPrefix(#"{"file":"#))
        let keys = ["\"file\"", "\"verdict\"", "\"reasons\"", "\"code\"", "\"severity\"", "\"value\"", "\"threshold\"",
                    "\"message\"", "\"hint_fr\"", "\"metrics\"", "\"duration_s\"", "\"sample_rate\"", "\"channels\"",
                    "\"peak_dbfs\"", "\"rms_dbfs\"", "\"speech_level_dbfs\"", "\"dc_offset\"", "\"clipped_fraction\"",
                    "\"clipped_runs\"", "\"speech_s\"", "\"leading_silence_s\"", "\"trailing_silence_s\"", "\"snr_db\"",
                    "\"bandwidth_hz\"", "\"hum_db\"", "\"speaking_rate_sps\""]
        let positions = keys.map { line.range(of: $0)?.lowerBound }
        #expect(positions.allSatisfy { $0 != nil })
        #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted())
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["file", "verdict", "reasons", "metrics"])
        #expect(object["verdict"] as? String == "reject")
        let metrics = try #require(object["metrics"] as? [String: Any])
        #expect(metrics.count == 16)
        #expect(metrics["speaking_rate_sps"] is NSNull, "no prompt given, no rate")
        let reasons = try #require(object["reasons"] as? [[String: Any]])
        #expect(reasons.first?["code"] as? String == "leading_silence")
        #expect((reasons.first?["hint_fr"] as? String)?.contains("silence") == true)
    }

    @Test func foldersAreWalkedAndEveryAudioFileGetsALine() throws {
        let result = try Self.run(["analyze", "--json", Self.samples])
        #expect(result.status == 0)
        let lines = result.output.split(separator: "\n")
        let audio = try FileManager.default.contentsOfDirectory(atPath: Self.samples).filter { !$0.hasSuffix(".json") }
        #expect(lines.count == audio.count)
        let unreadable = lines.filter { $0.contains(#""code":"unreadable""#) }
        #expect(unreadable.count == 4)
        for line in unreadable { #expect(line.contains(#""duration_s":null"#)) }
    }

    @Test func tableInAPipeHasNoEscapeCodesAndASummary() throws {
        let result = try Self.run(["analyze", "\(Self.samples)/clean_fr-fr_0.wav", "\(Self.samples)/too_short.wav"])
        #expect(result.status == 0)
        #expect(!result.output.contains("\u{1B}"))
        #expect(result.output.contains("2 files: 1 accepted, 1 rejected"))
        #expect(result.output.contains("too_short"))
    }

    @Test func missingPathExitsWithTwo() throws {
        let result = try Self.run(["analyze", "/nonexistent/take.wav"])
        #expect(result.status == 2)
        #expect(result.error.contains("no such file or folder: /nonexistent/take.wav"))
        #expect(result.output.isEmpty)
    }

    @Test func noPathExitsWithTwo() throws {
        #expect(try Self.run(["analyze"]).status == 2)
    }

    @Test func badRuleFileExitsWithTwoAndSaysWhy() throws {
        let rules = FileManager.default.temporaryDirectory.appendingPathComponent("parloir-rules-\(UUID().uuidString).json")
        try Data(#"{"snr_reject": 20}"#.utf8).write(to: rules)
        defer { try? FileManager.default.removeItem(at: rules) }
        let result = try Self.run(["analyze", "--rules", rules.path, "\(Self.samples)/clean_fr-fr_0.wav"])
        #expect(result.status == 2)
        #expect(result.error.contains("snr_reject"))
    }

    @Test func ruleFileChangesTheVerdict() throws {
        let rules = FileManager.default.temporaryDirectory.appendingPathComponent("parloir-rules-\(UUID().uuidString).json")
        try Data(#"{"max_duration_s": 2.0}"#.utf8).write(to: rules)
        defer { try? FileManager.default.removeItem(at: rules) }
        let result = try Self.run(["analyze", "--json", "--rules", rules.path, "\(Self.samples)/clean_fr-fr_0.wav"])
        #expect(result.status == 0)
        #expect(result.output.contains(#""code":"too_long""#))
        #expect(result.output.contains(#""threshold":2"#))
    }

    /// `--prompt` judges every file's speaking rate against one sentence; `--prompts` reads a
    /// sentence per file from a tab-separated list (by path or by name).
    @Test func promptsJudgeTheSpeakingRate() throws {
        let take = "\(Self.samples)/clean_fr-fr_0.wav"
        let right = try Self.run(["analyze", "--json", "--prompt", "Allume la lumière de la cuisine.", take])
        #expect(right.status == 0)
        #expect(!right.output.contains("speaking_rate\""))
        #expect(right.output.contains("\"speaking_rate_sps\":5."))
        let longer = try Self.run(["analyze", "--json", "--prompt",
                                   "Allume la lumière de la cuisine et éteins celle du salon, puis baisse les volets de la chambre.", take])
        #expect(longer.output.contains("\"code\":\"speaking_rate\""))
        #expect(longer.output.contains("lisez toute la phrase affichée"))

        let list = FileManager.default.temporaryDirectory.appendingPathComponent("parloir-prompts-\(UUID().uuidString).tsv").path
        defer { try? FileManager.default.removeItem(atPath: list) }
        try "# file<TAB>sentence\nclean_fr-fr_0.wav\tOui.\n".write(toFile: list, atomically: true, encoding: .utf8)
        let listed = try Self.run(["analyze", "--json", "--prompts", list, take, "\(Self.samples)/clean_fr-be_2.wav"])
        let lines = listed.output.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[0].contains("\"code\":\"speaking_rate\""), "one syllable for a whole sentence: too slow")
        #expect(lines[1].contains("\"speaking_rate_sps\":null"), "a file not in the list has no prompt")

        try "clean_fr-fr_0.wav Oui\n".write(toFile: list, atomically: true, encoding: .utf8)
        let malformed = try Self.run(["analyze", "--prompts", list, take])
        #expect(malformed.status == 2)
        #expect(malformed.error.contains("line 1: expected FILE<TAB>sentence"))
        let both = try Self.run(["analyze", "--prompt", "Oui.", "--prompts", list, take])
        #expect(both.status == 2)
    }
}
