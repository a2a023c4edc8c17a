import Foundation
import ParloirTestServers
import Testing

/// `parloir export` end to end: the sample corpus uploaded to a running service, verified in
/// part, then exported in every format and read back by `scripts/check_export.py` (Python's
/// standard library: csv, json, gzip, wave — none of Parloir's code).
@Suite(.serialized) struct ExportTests {
    /// A service holding every accepted file of the sample corpus (WAV, FLAC, MP3, Vorbis,
    /// Opus; 16 and 48 kHz; mono and stereo) from twelve speakers, some takes verified.
    final class Fixture: @unchecked Sendable {
        let service: ServiceCommandTests.RunningService
        let seeder: TerminalSessionTests.Seeder
        let campaign: String
        var accepted = 0
        var validated = 0
        var invalidated = 0
        let corrected = "allume la lumière de la cuisine s'il te plaît"

        init() async throws {
            // The fixture posts its own transcripts: no take is sampled without one meanwhile.
            service = try ServiceCommandTests.RunningService(campaign: try Self.campaignIgnoringSpeakingRate(),
                                                             arguments: ["--sample-without-asr-after", "3600"])
            let admin = try String(contentsOfFile: service.directory + "/admin.token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            seeder = TerminalSessionTests.Seeder(server: service.server, admin: admin)
            campaign = try await seeder.campaign()
            let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: AnalyzeCommandTests.root.appendingPathComponent("corpora/samples/manifest.json"))) as? [String: Any]
            let files = (manifest?["files"] as? [[String: Any]] ?? []).filter { $0["verdict"] as? String == "accept" }.compactMap { $0["file"] as? String }
            var workers: [String] = []
            for (index, (accent, gender)) in [("belge", "female"), ("belge", "male"), ("quebecois", "female"), ("quebecois", "male"),
                                               ("parisien", "female"), ("parisien", "male")].flatMap({ [$0, $0] }).enumerated() {
                workers.append(try await seeder.member("worker", profile: ["accent": accent, "gender": gender, "age_band": index % 2 == 0 ? "25-34" : "45-54",
                                                                           "region": "belgique", "consent_at": "2026-01-01T00:00:00Z"]))
            }
            let asr = try await seeder.member("asr")
            for (index, file) in files.enumerated() {
                let worker = workers[index % workers.count]
                let type = file.hasSuffix(".flac") ? "audio/flac" : file.hasSuffix(".mp3") ? "audio/mpeg" : file.hasSuffix(".wav") ? "audio/wav" : "audio/ogg"
                let assignment = try await seeder.call("POST", "/v1/campaigns/\(campaign)/assignments", token: worker, headers: ["X-Noise-Condition": "quiet"])
                let id = try #require(assignment.json["assignment_id"] as? String)
                let audio = try Data(contentsOf: AnalyzeCommandTests.root.appendingPathComponent("corpora/samples/\(file)"))
                let answer = try await seeder.call("PUT", "/v1/assignments/\(id)/recording", token: worker, body: audio, type: type)
                guard let recording = answer.json["recording_id"] as? String, answer.json["verdict"] as? String == "accept" else { continue }
                accepted += 1
                // The ASR disagrees on the first three: they go to a verifier.
                let text = index < 3 ? "bonjour tout le monde" : "sans importance"
                _ = try await seeder.call("POST", "/v1/recordings/\(recording)/asr", token: asr,
                                          body: try JSONSerialization.data(withJSONObject: ["engine": "test-asr", "text": text]))
            }
            // Three verifiers settle what is queued: a correction, an unusable take, then matches
            // for the rest (the unusable one before the matches, so that it always finds a task).
            for answer in [["verdict": "corrected", "transcript": corrected], ["verdict": "unusable", "unusable_reason": "several_voices"],
                           ["verdict": "matches_prompt"]] {
                let verifier = try await seeder.member("verifier")
                while true {
                    let claim = try await seeder.call("POST", "/v1/verification/claim", token: verifier)
                    guard let task = claim.json["task_id"] as? String else { break }
                    let result = try await seeder.call("POST", "/v1/verification/tasks/\(task)/result", token: verifier,
                                                       body: try JSONSerialization.data(withJSONObject: answer))
                    if result.json["outcome"] as? String == "validated" { validated += 1 }
                    if result.json["outcome"] as? String == "invalidated" { invalidated += 1 }
                    if answer["verdict"] != "matches_prompt" { break }
                }
            }
        }

        /// The example campaign, with the speaking-rate check off: the corpus files say other
        /// sentences than the prompts they are uploaded for.
        static func campaignIgnoringSpeakingRate() throws -> String {
            let folder = ExportTests.folder()
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let example = AnalyzeCommandTests.root.appendingPathComponent("prompts/assistant-maison")
            let spec = try String(contentsOf: example.appendingPathComponent("campaign.yaml"), encoding: .utf8)
                .replacingOccurrences(of: "rules:\n", with: "rules:\n  min_speaking_rate_sps: 0\n  max_speaking_rate_sps: 1000\n")
            try spec.write(toFile: folder + "/campaign.yaml", atomically: true, encoding: .utf8)
            try FileManager.default.copyItem(atPath: example.appendingPathComponent("prompts.tsv").path, toPath: folder + "/prompts.tsv")
            return folder + "/campaign.yaml"
        }

        func export(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
            try AnalyzeCommandTests.run(["export", "--campaign", "assistant-maison"] + arguments)
        }

        func local(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
            try export(arguments + ["--data-dir", service.directory])
        }
    }

    /// The bytes of every clip of a Lhotse export, by file name.
    static func clips(_ directory: String) throws -> [String: Data] {
        var clips: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory + "/audio") {
            clips[name] = try Data(contentsOf: URL(fileURLWithPath: "\(directory)/audio/\(name)"))
        }
        return clips
    }

    static func folder() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("parloir-export-\(UUID().uuidString)").path
    }

    /// `scripts/check_export.py FORMAT DIR`: its summary, or an issue with the problems it found.
    static func check(_ format: String, _ directory: String) throws -> [String: Any] {
        let result = try AnalyzeCommandTests.runTool(["/usr/bin/env", "python3", AnalyzeCommandTests.root.appendingPathComponent("scripts/check_export.py").path, format, directory])
        #expect(result.status == 0, "\(format): \(result.output) \(result.error)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
    }

    /// The manifests of an export (everything but the audio), by relative path.
    static func manifests(_ directory: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for path in FileManager.default.enumerator(atPath: directory)?.allObjects as? [String] ?? [] {
            let full = directory + "/" + path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue,
                  !path.hasPrefix("audio/"), !path.hasPrefix("fr/clips/") else { continue }
            files[path] = try Data(contentsOf: URL(fileURLWithPath: full))
        }
        return files
    }

    @Test func theCorpusExportsInEveryFormatAndReadsBack() async throws {
        let fixture = try await Fixture()
        #expect(fixture.accepted >= 20 && fixture.validated >= 2 && fixture.invalidated == 1)
        let delivered = fixture.accepted - fixture.invalidated
        for format in ["commonvoice", "kaldi", "nemo", "lhotse"] {
            for rate in [nil, "16000"] as [String?] {
                let out = Self.folder()
                defer { try? FileManager.default.removeItem(atPath: out) }
                let result = try fixture.local(["--format", format, "--out", out, "--status", "accepted"] + (rate.map { ["--sample-rate", $0] } ?? []))
                #expect(result.status == 0, "\(format): \(result.error)")
                let summary = try Self.check(format, out)
                let counts = summary["utterances"] as? [String: Int] ?? [:]
                #expect(counts.values.reduce(0, +) == delivered, "\(format) \(rate ?? "original")")
                #expect((counts["train"] ?? 0) > (counts["dev"] ?? 0) && (counts["dev"] ?? 0) > 0 && (counts["test"] ?? 0) > 0)
                let readme = try String(contentsOfFile: out + "/README.md", encoding: .utf8)
                #expect(readme.contains("## Composition") && readme.contains("## How speakers were paid") && readme.contains("## Consent and erasure"))
                if format == "kaldi" || rate != nil {
                    let audio = try FileManager.default.contentsOfDirectory(atPath: out + (format == "commonvoice" ? "/fr/clips" : "/audio"))
                    #expect(audio.allSatisfy { $0.hasSuffix(".wav") }, "Kaldi reads WAV only; --sample-rate converts everything")
                }
            }
        }
        #expect(fixture.service.stop() == 0)
    }

    @Test func exportsAreDeterministicAndTheServiceAgreesWithTheDataFolder() async throws {
        let fixture = try await Fixture()
        let out = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        #expect(try fixture.local(["--format", "lhotse", "--out", out, "--status", "accepted", "--seed", "7"]).status == 0)
        let first = try Self.manifests(out)
        #expect(first.keys.contains("parloir_supervisions_train.jsonl.gz") && first.keys.contains("SHA256SUMS"))
        // Again, over the first: identical bytes, README and checksums included.
        #expect(try fixture.local(["--format", "lhotse", "--out", out, "--status", "accepted", "--seed", "7", "--force"]).status == 0)
        #expect(try Self.manifests(out) == first)
        // Through the running service (audio downloaded over HTTP): the same dataset.
        let viaServer = try fixture.export(["--format", "lhotse", "--out", out, "--status", "accepted", "--seed", "7", "--force",
                                            "--server", fixture.service.server, "--data-dir", fixture.service.directory])
        #expect(viaServer.status == 0, "\(viaServer.error)")
        let served = try Self.manifests(out)
        #expect(served.filter { $0.key != "README.md" && $0.key != "SHA256SUMS" } == first.filter { $0.key != "README.md" && $0.key != "SHA256SUMS" })
        // Another seed draws other splits.
        #expect(try fixture.local(["--format", "lhotse", "--out", out, "--status", "accepted", "--seed", "8", "--force"]).status == 0)
        #expect(try Self.manifests(out)["parloir_supervisions_train.jsonl.gz"] != first["parloir_supervisions_train.jsonl.gz"])
        #expect(fixture.service.stop() == 0)
    }

    /// `parloir migrate` moves the whole history from the embedded store to PostgreSQL and S3, a
    /// second run (as after an interruption) resumes where the first stopped, and the dataset
    /// exported from the new engines, audio streamed from the bucket, is the one the data folder gives.
    @Test(.enabled(if: TestServers.postgres != nil && TestServers.s3 != nil, "needs the test command's PostgreSQL and S3 servers"))
    func theHistoryMovesToPostgreSQLAndS3AndExportsTheSameDataset() async throws {
        let fixture = try await Fixture()
        #expect(fixture.service.stop() == 0)
        let directory = fixture.service.directory
        let database = try await PostgresAdmin.createDatabase()
        let bucket = TestServers.freshBucketURL()
        let migrate = ["migrate", "--from", "sqlite:\(directory)/parloir.sqlite", "--from-blobs", directory + "/blobs",
                       "--to", database, "--to-blobs", bucket, "--staging", directory + "/migrate-staging"]
        let first = try AnalyzeCommandTests.run(migrate)
        #expect(first.status == 0, "\(first.error)")
        #expect(first.output.contains("row counts match"), "\(first.output)")
        // An interruption leaves some tables short: the next run copies what is missing and checks it all again.
        let name = String(try #require(URLComponents(string: database)?.path.dropFirst()))
        try await PostgresAdmin.execute("DELETE FROM review", database: name)
        let reviews = try await PostgresAdmin.execute("SELECT COUNT(*)::text FROM review", database: name)
        #expect(reviews == ["0"])
        let second = try AnalyzeCommandTests.run(migrate)
        #expect(second.status == 0, "\(second.error)")
        let restored = try await PostgresAdmin.execute("SELECT COUNT(*)::text FROM review", database: name)
        #expect(restored != ["0"], "the reviews deleted after the first run are copied again")
        #expect(second.output.hasPrefix("Copied \(restored.first.flatMap { $0 } ?? "?") of"), "only the missing rows are written: \(second.output)")
        #expect(second.output.contains(" 0 of "), "no audio is copied twice: \(second.output)")

        let out = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        #expect(try fixture.local(["--format", "lhotse", "--out", out, "--status", "accepted", "--seed", "7"]).status == 0)
        let here = try Self.manifests(out), hereAudio = try Self.clips(out)
        let moved = try fixture.export(["--format", "lhotse", "--out", out, "--status", "accepted", "--seed", "7", "--force",
                                        "--database", database, "--blobs", bucket, "--data-dir", directory])
        #expect(moved.status == 0, "\(moved.error)")
        #expect(try Self.manifests(out).filter { $0.key != "README.md" } == here.filter { $0.key != "README.md" })
        #expect(hereAudio.count == fixture.accepted - fixture.invalidated)
        #expect(try Self.clips(out) == hereAudio, "every clip streamed from the bucket has the bytes of the data folder's")
        try await PostgresAdmin.dropDatabase(url: database)
    }

    /// `PARLOIR_TEST_LHOTSE_PYTHON`: a Python with lhotse (the test command's `.venv-lhotse`).
    static let lhotsePython = ProcessInfo.processInfo.environment["PARLOIR_TEST_LHOTSE_PYTHON"].flatMap { $0.isEmpty ? nil : $0 }

    /// The Lhotse, Kaldi and Common Voice exports load with the real lhotse: its manifests, its
    /// Kaldi import and its own Common Voice recipe (`prepare_commonvoice`), every clip decoded
    /// to the length the manifest says.
    @Test(.enabled(if: lhotsePython != nil, "needs lhotse: PARLOIR_TEST_LHOTSE=1 scripts/test.sh installs it (4.6 GB with torch) and sets PARLOIR_TEST_LHOTSE_PYTHON"))
    func lhotseLoadsTheLhotseKaldiAndCommonVoiceExports() async throws {
        let fixture = try await Fixture()
        let root = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        for format in ["lhotse", "kaldi", "commonvoice"] {
            let result = try fixture.local(["--format", format, "--out", root + "/" + format, "--status", "accepted", "--sample-rate", "16000"])
            #expect(result.status == 0, "\(format): \(result.error)")
        }
        let load = try AnalyzeCommandTests.runTool([try #require(Self.lhotsePython), AnalyzeCommandTests.root.appendingPathComponent("scripts/load_with_lhotse.py").path,
                                                    root + "/lhotse", root + "/kaldi", "16000", root + "/commonvoice"])
        #expect(load.status == 0, "\(load.output)\n\(load.error)")
        #expect(load.output.contains("ok: \(fixture.accepted - fixture.invalidated) cuts loaded and decoded"), "\(load.output)")
        for split in ["train", "dev", "test"] { #expect(load.output.contains("commonvoice \(split): "), "\(load.output)") }
        #expect(fixture.service.stop() == 0)
    }

    /// Six speakers at 80/10/10 round to 5/1/0: the test split still gets one; two speakers
    /// cannot fill three splits, and the export says so.
    @Test func everySplitAskedForHasASpeakerOrTheExportIsRefused() async throws {
        let fixture = try await Fixture()
        let out = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        // The fixture's twelve speakers at 98/1/1 would give 12/0/0 by rounding alone.
        #expect(try fixture.local(["--format", "nemo", "--out", out, "--status", "accepted", "--splits", "98/1/1"]).status == 0)
        let counts = try Self.check("nemo", out)["utterances"] as? [String: Int] ?? [:]
        #expect((counts["dev"] ?? 0) > 0 && (counts["test"] ?? 0) > 0, "\(counts)")
        try FileManager.default.removeItem(atPath: out)
        #expect(fixture.service.stop() == 0)

        // Two speakers, one accepted take each.
        let small = try ServiceCommandTests.RunningService(campaign: try Fixture.campaignIgnoringSpeakingRate())
        let admin = try String(contentsOfFile: small.directory + "/admin.token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let seeder = TerminalSessionTests.Seeder(server: small.server, admin: admin)
        let campaign = try await seeder.campaign()
        for file in ["clean_fr-fr_0.wav", "clean_fr-be_2.wav"] {
            let worker = try await seeder.member("worker", profile: ["accent": "belge", "gender": "female", "consent_at": "2026-01-01T00:00:00Z"])
            let assignment = try await seeder.call("POST", "/v1/campaigns/\(campaign)/assignments", token: worker, headers: ["X-Noise-Condition": "quiet"])
            let id = try #require(assignment.json["assignment_id"] as? String)
            let audio = try Data(contentsOf: AnalyzeCommandTests.root.appendingPathComponent("corpora/samples/\(file)"))
            let answer = try await seeder.call("PUT", "/v1/assignments/\(id)/recording", token: worker, body: audio, type: "audio/wav")
            #expect(answer.json["verdict"] as? String == "accept")
        }
        let refused = try AnalyzeCommandTests.run(["export", "--campaign", "assistant-maison", "--format", "commonvoice", "--out", out,
                                                   "--status", "accepted", "--data-dir", small.directory])
        #expect(refused.status == 2 && refused.error.contains("2 speakers cannot fill 3 speaker-disjoint splits"), "\(refused.error)")
        #expect(!FileManager.default.fileExists(atPath: out))
        let trainAndDev = try AnalyzeCommandTests.run(["export", "--campaign", "assistant-maison", "--format", "commonvoice", "--out", out,
                                                       "--status", "accepted", "--splits", "50/50/0", "--data-dir", small.directory])
        #expect(trainAndDev.status == 0, "\(trainAndDev.error)")
        #expect(small.stop() == 0)
    }

    @Test func validatedExportsCarryTheVerifiedTranscripts() async throws {
        let fixture = try await Fixture()
        let out = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        #expect(try fixture.local(["--format", "commonvoice", "--out", out, "--splits", "34/33/33"]).status == 0)
        let validated = try String(contentsOfFile: out + "/fr/validated.tsv", encoding: .utf8).split(separator: "\n")
        #expect(validated.count == fixture.validated + 1)
        #expect(validated.contains { $0.contains("\t" + fixture.corrected + "\t") })
        let invalidated = try String(contentsOfFile: out + "/fr/invalidated.tsv", encoding: .utf8).split(separator: "\n")
        #expect(invalidated.count == fixture.invalidated + 1, "the header and each take a verifier found unusable")
        _ = try Self.check("commonvoice", out)
        #expect(fixture.service.stop() == 0)
    }

    @Test func anExportWithNothingToDeliverSaysWhyAndExitsNonZero() async throws {
        let service = try ServiceCommandTests.RunningService(campaign: try Fixture.campaignIgnoringSpeakingRate(),
                                                             arguments: ["--sample-without-asr-after", "3600"])
        let admin = try String(contentsOfFile: service.directory + "/admin.token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let seeder = TerminalSessionTests.Seeder(server: service.server, admin: admin)
        let campaign = try await seeder.campaign()
        let out = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        func export(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
            try AnalyzeCommandTests.run(["export", "--campaign", "assistant-maison", "--format", "nemo", "--out", out,
                                         "--data-dir", service.directory] + arguments)
        }
        let none = try export([])
        #expect(none.status == 1 && none.error.contains("0 validated takes: the campaign has no accepted take yet"), "\(none.error)")

        for file in ["clean_fr-fr_0.wav", "clean_fr-be_2.wav"] {
            let worker = try await seeder.member("worker", profile: ["accent": "belge", "gender": "female", "age_band": "25-34",
                                                                     "region": "belgique", "consent_at": "2026-01-01T00:00:00Z"])
            let assignment = try await seeder.call("POST", "/v1/campaigns/\(campaign)/assignments", token: worker, headers: ["X-Noise-Condition": "quiet"])
            let id = try #require(assignment.json["assignment_id"] as? String)
            let audio = try Data(contentsOf: AnalyzeCommandTests.root.appendingPathComponent("corpora/samples/\(file)"))
            let answer = try await seeder.call("PUT", "/v1/assignments/\(id)/recording", token: worker, body: audio, type: "audio/wav")
            #expect(answer.json["verdict"] as? String == "accept")
        }
        let waiting = try export([])
        #expect(waiting.status == 1)
        #expect(waiting.error.contains("0 validated takes: 2 accepted takes await verification; use --status accepted or verify them"), "\(waiting.error)")
        #expect(!FileManager.default.fileExists(atPath: out))
        let empty = try export(["--allow-empty"])
        #expect(empty.status == 0, "\(empty.error)")
        #expect(empty.output.contains("Exported 0 clips"))
        // Two speakers fill no three splits: all of them go to train.
        let accepted = try export(["--status", "accepted", "--force", "--splits", "100/0/0"])
        #expect(accepted.status == 0, "\(accepted.error)")
        #expect(service.stop() == 0)
    }

    @Test func badRequestsAndFailuresLeaveNothingBehind() async throws {
        let fixture = try await Fixture()
        let out = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let unknown = try AnalyzeCommandTests.run(["export", "--campaign", "nulle-part", "--format", "nemo", "--out", out, "--data-dir", fixture.service.directory])
        #expect(unknown.status == 2 && unknown.error.contains("no campaign \"nulle-part\""))
        #expect(try fixture.local(["--format", "nemo", "--out", out, "--splits", "80/20"]).status == 2)
        #expect(try fixture.local(["--format", "nemo", "--out", out, "--sample-rate", "100"]).status == 2)
        #expect(try fixture.local(["--format", "parquet", "--out", out]).status == 2)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: out + "/keep"))
        let occupied = try fixture.local(["--format", "nemo", "--out", out, "--status", "accepted"])
        #expect(occupied.status == 2 && occupied.error.contains("--force"))
        try FileManager.default.removeItem(atPath: out)

        // A blob gone missing fails the export half way: no destination, no staging folder.
        let blobs = fixture.service.directory + "/blobs"
        let blob = try #require((FileManager.default.enumerator(atPath: blobs)?.allObjects as? [String])?.first { $0.count > 60 })
        try FileManager.default.removeItem(atPath: blobs + "/" + blob)
        let failed = try fixture.local(["--format", "nemo", "--out", out, "--status", "accepted"])
        #expect(failed.status == 1 && failed.error.contains("missing from the blob store"))
        #expect(!FileManager.default.fileExists(atPath: out))
        let parent = (out as NSString).deletingLastPathComponent, name = (out as NSString).lastPathComponent
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent).allSatisfy { !$0.hasPrefix(name) })
        #expect(fixture.service.stop() == 0)
    }
}
