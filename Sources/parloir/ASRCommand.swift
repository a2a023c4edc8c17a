import ArgumentParser
import Foundation
import ParloirClient

struct ASRCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "asr", abstract: "Feed ASR transcripts to a running service.", subcommands: [Import.self]
    )

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Post ASR transcripts from JSON lines {recording_id, engine, text[, confidence]}.",
            discussion: "Each line is posted to /v1/recordings/{id}/asr; the lines refused are listed with their reason (exit 1)."
        )
        @OptionGroup var service: ServiceOptions
        @Argument(help: ArgumentHelp("JSON lines file.", valueName: "FILE")) var file: String

        struct Line: Codable {
            let recording_id: String
            let engine: String
            let text: String
            let confidence: Double?
        }

        func run() async throws {
            let client = try service.client()
            let text = String(decoding: try readFile(file), as: UTF8.self)
            var imported = 0, refused = 0
            for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                if raw.trimmingCharacters(in: .whitespaces).isEmpty { continue }
                guard let line = try? JSONDecoder().decode(Line.self, from: Data(raw.utf8)) else {
                    FileHandle.standardError.write(Data("\(file):\(index + 1): not {recording_id, engine, text}\n".utf8))
                    refused += 1
                    continue
                }
                let body = try JSONEncoder().encode(["engine": line.engine, "text": line.text])
                do {
                    _ = try await client.send("POST", "/v1/recordings/\(line.recording_id)/asr", body: body, contentType: "application/json")
                    imported += 1
                } catch {
                    FileHandle.standardError.write(Data("\(file):\(index + 1): \(error.message)\n".utf8))
                    refused += 1
                }
            }
            print(#"{"imported":\#(imported),"refused":\#(refused)}"#)
            if refused > 0 { throw ExitCode(1) }
        }
    }
}
