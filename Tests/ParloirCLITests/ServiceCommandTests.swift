import Foundation
import ParloirTestServers
import Testing

/// `parloir serve` and the admin commands, as the commissioning team runs them.
struct ServiceCommandTests {
    static func freePort() -> Int { TestServers.freePort() }

    /// A `parloir serve` process on a temporary data directory.
    final class RunningService {
        let process = Process()
        let directory: String
        let port: Int
        /// Where the service writes its standard output and error (a file: a pipe nobody reads
        /// would stop the service once full).
        let logPath: String

        /// Starts `parloir serve` on a data folder of its own; `arguments` are more flags (a shared
        /// database and bucket, for a replica). It is ready when it listens and, for the replica
        /// that makes the first admin, when its token is written.
        init(campaign: String? = nil, arguments: [String] = [], makesAdmin: Bool = true) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("parloir-cli-\(UUID().uuidString)").path
            port = ServiceCommandTests.freePort()
            process.executableURL = URL(fileURLWithPath: AnalyzeCommandTests.binary)
            process.arguments = ["serve", "--data-dir", directory, "--port", String(port), "--log-level", "warning"]
                + (campaign.map { ["--campaign", $0] } ?? []) + arguments
            logPath = directory + ".log"
            FileManager.default.createFile(atPath: logPath, contents: nil)
            let log = FileHandle(forWritingAtPath: logPath)
            process.standardOutput = log
            process.standardError = log
            try process.run()
            for _ in 0..<400 {
                if (!makesAdmin || FileManager.default.fileExists(atPath: directory + "/admin.token")) && Self.listening(port) { break }
                usleep(50_000)
            }
        }

        static func listening(_ port: Int) -> Bool {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            } == 0
        }

        var server: String { "http://127.0.0.1:\(port)" }

        func admin(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
            try AnalyzeCommandTests.run(arguments + ["--server", server, "--data-dir", directory])
        }

        func stop() -> Int32 {
            process.terminate()
            process.waitUntilExit()
            return process.terminationStatus
        }

        deinit {
            if process.isRunning { process.terminate(); process.waitUntilExit() }
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    @Test func serveLoadsTheExampleCampaignAndExplainsHowToUpload() throws {
        let service = try RunningService(campaign: AnalyzeCommandTests.root.appendingPathComponent("prompts/assistant-maison/campaign.yaml").path)
        // The first start gives a way into the recording app: an invite link that opens the campaign's terms.
        let started = (try? String(contentsOfFile: service.logPath, encoding: .utf8)) ?? ""
        let link = try #require(started.split(separator: "\n").first { $0.contains("#invite=inv_") }.flatMap { $0.split(separator: " ").last })
        #expect(link.hasPrefix(service.server + "/#invite="))
        let code = String(try #require(link.split(separator: "=").last))
        let terms = try JSONSerialization.jsonObject(with: try Data(contentsOf: URL(string: service.server + "/v1/invites/" + code)!)) as? [String: Any]
        #expect((terms?["campaign"] as? [String: Any])?["name"] as? String == "assistant-maison")
        let status = service.stop()
        let banner = (try? String(contentsOfFile: service.logPath, encoding: .utf8)) ?? ""
        #expect(status == 0, "SIGTERM stops the service cleanly")
        #expect(banner.contains("Campaign \"assistant-maison\": cmp-"))
        #expect(banner.contains("The recording app: \(service.server)/"))
        #expect(banner.contains("--data-binary @corpora/samples/clean_fr-fr_0.wav"))
        let attributes = try FileManager.default.attributesOfItem(atPath: service.directory + "/admin.token")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
    }

    @Test func adminCommandsCreateCampaignsPromptsAndMembers() throws {
        let service = try RunningService()
        let spec = AnalyzeCommandTests.root.appendingPathComponent("prompts/assistant-maison/campaign.yaml").path
        let created = try service.admin(["campaign", "create", spec])
        #expect(created.status == 0, "\(created.error)")
        let lines = created.output.split(separator: "\n")
        #expect(lines.count == 2)
        let campaign = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        let id = try #require(campaign["id"] as? String)
        #expect(lines[1].contains(#""imported":460"#))
        #expect(!created.error.contains("warning"), "460 prompts × 3 speakers at 2 % is 28 takes per worker")

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("parloir-prompts-\(UUID().uuidString).txt")
        try Data("Ouvre le garage.\nMets 3 minutes.\n".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let imported = try service.admin(["prompts", "import", "--campaign", "assistant-maison", file.path])
        #expect(imported.status == 0, "\(imported.error)")
        #expect(imported.output.hasPrefix("1 imported, 1 rejected:\n  line 2: ") && imported.output.contains("digits"), "\(imported.output)")
        // By id, for scripts: the service's JSON; and a file whose every line is refused exits 1.
        let allRefused = try service.admin(["prompts", "import", "--campaign", id, "--json", file.path])
        #expect(allRefused.status == 1 && allRefused.output.contains(#""imported":0"#) && allRefused.error.contains("every line was rejected"))

        // A campaign whose cap lets a worker record only a few takes says so when its prompts arrive.
        let small = FileManager.default.temporaryDirectory.appendingPathComponent("parloir-small-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: small, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: small) }
        try Data("name: petite\npurpose: Quelques phrases pour essayer la collecte.\nprompt_files: [p.txt]\n".utf8)
            .write(to: small.appendingPathComponent("c.yaml"))
        try Data((1...40).map { "Allume la lampe numéro \(["un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit"][$0 % 8]) de la pièce \($0 % 5 == 0 ? "bleue" : "verte") encore \(String(repeating: "et ", count: $0 / 8))maintenant." }
            .joined(separator: "\n").utf8).write(to: small.appendingPathComponent("p.txt"))
        let warned = try service.admin(["campaign", "create", small.appendingPathComponent("c.yaml").path])
        #expect(warned.status == 0, "\(warned.error)")
        #expect(warned.error.contains("warning: speaker_cap 0.02 of") && warned.error.contains("take"), "\(warned.error)")

        let member = try service.admin(["member", "add", "--role", "worker", "--accent", "belge", "--region", "belgique",
                                        "--gender", "male", "--age-band", "35-44", "--consent"])
        #expect(member.status == 0)
        #expect(member.output.contains(#""token":"plr_"#))

        let refused = try service.admin(["member", "add", "--role", "worker", "--region", "atlantis"])
        #expect(refused.status == 1)
        #expect(refused.error.contains("region"))
        let again = try service.admin(["campaign", "create", spec])
        #expect(again.status == 1 && again.error.contains("campaign_exists"))
        let transcripts = FileManager.default.temporaryDirectory.appendingPathComponent("parloir-asr-\(UUID().uuidString).jsonl")
        try Data("{\"recording_id\": \"rec-missing\", \"engine\": \"e\", \"text\": \"bonjour\"}\nnot json\n".utf8).write(to: transcripts)
        defer { try? FileManager.default.removeItem(at: transcripts) }
        let asr = try service.admin(["asr", "import", transcripts.path])
        #expect(asr.status == 1)
        #expect(asr.output.contains(#""refused":2"#))
        #expect(asr.error.contains(":1: recording rec-missing does not exist") && asr.error.contains(":2: not"))
        let badRole = try service.admin(["member", "add", "--role", "boss"])
        #expect(badRole.status == 2)
        #expect(service.stop() == 0)
    }

    @Test func adminCommandsWithoutATokenSayWhere() throws {
        let result = try AnalyzeCommandTests.run(["member", "add", "--role", "worker", "--data-dir", "/nonexistent"])
        #expect(result.status == 2)
        #expect(result.error.contains("/nonexistent/admin.token"))
    }
}
