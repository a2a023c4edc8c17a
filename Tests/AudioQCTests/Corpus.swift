import Testing
import Foundation

/// The sample corpus and its truth (`corpora/samples/manifest.json`).
struct Corpus {
    struct Entry: Decodable, Sendable, CustomTestStringConvertible {
        let file: String
        let verdict: String
        let reasons: [[String]]
        let truth: [String: Double]
        let note: String

        var testDescription: String { file }
        var path: String { Corpus.directory.appendingPathComponent(file).path }
        /// The expected reasons as "code/severity", sorted.
        var expectedReasons: [String] { reasons.map { $0.joined(separator: "/") }.sorted() }
    }

    private struct Manifest: Decodable { let files: [Entry] }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let directory = root.appendingPathComponent("corpora/samples")

    static let entries: [Entry] = {
        let data = try! Data(contentsOf: directory.appendingPathComponent("manifest.json"))
        return try! JSONDecoder().decode(Manifest.self, from: data).files
    }()

    static func entry(_ name: String) -> Entry { entries.first { $0.file == name }! }

    static func entries(where predicate: (Entry) -> Bool) -> [Entry] { entries.filter(predicate) }
}

/// Runs a command and returns its standard output and error, or nil when it cannot start.
func runTool(_ arguments: [String]) -> (status: Int32, output: String, error: String)? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    do { try process.run() } catch { return nil }
    let output = out.fileHandleForReading.readDataToEndOfFile()
    let error = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: error, as: UTF8.self))
}


