import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// `parloir report`, `parloir dashboard` and `parloir verify` against a running `parloir serve`,
/// the interactive ones driven in a real terminal through tmux (`send-keys`, `capture-pane`).
@Suite(.serialized) struct TerminalSessionTests {
    /// Talks to the service to give it workers, takes and transcripts.
    struct Seeder {
        let server: String
        let admin: String

        func call(_ method: String, _ path: String, token: String, body: Data? = nil, type: String = "application/json",
                  headers: [String: String] = [:]) async throws -> (status: Int, json: [String: Any]) {
            var request = URLRequest(url: URL(string: server + path)!)
            request.httpMethod = method
            request.httpBody = body
            request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
            request.setValue(type, forHTTPHeaderField: "Content-Type")
            for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
            let (data, response) = try await URLSession.shared.data(for: request)
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:])
        }

        func member(_ role: String, profile: [String: Any] = [:]) async throws -> String {
            let body = try JSONSerialization.data(withJSONObject: ["role": role, "profile": profile])
            return try #require(try await call("POST", "/v1/members", token: admin, body: body).json["token"] as? String)
        }

        func campaign() async throws -> String {
            let list = try await call("GET", "/v1/campaigns", token: admin).json["campaigns"] as? [[String: Any]]
            return try #require(list?.first?["id"] as? String)
        }

        /// Records `sample` (made unique by `variant`, so it is not a duplicate) on a new assignment.
        func take(_ sample: String, variant: UInt8, campaign: String, token: String) async throws -> [String: Any] {
            let assignment = try await call("POST", "/v1/campaigns/\(campaign)/assignments", token: token, headers: ["X-Noise-Condition": "indoor"])
            let id = try #require(assignment.json["assignment_id"] as? String)
            var audio = try Data(contentsOf: AnalyzeCommandTests.root.appendingPathComponent("corpora/samples/\(sample)"))
            audio[audio.count - 1] ^= variant
            return try await call("PUT", "/v1/assignments/\(id)/recording", token: token, body: audio, type: "audio/wav").json
        }
    }

    /// A tmux server of its own running one command in a window of the given size.
    final class Tmux {
        let socket = "parloir-test-\(UUID().uuidString.prefix(8))"

        init(width: Int, height: Int, command: String) throws {
            #expect(try run(["new-session", "-d", "-s", "t", "-x", String(width), "-y", String(height), command]).status == 0)
        }

        static var available: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") }

        /// Runs tmux and waits for it with `waitpid`. Not `Process`: the server that
        /// `new-session` leaves behind inherits what `Process` watches to learn that its child
        /// ended, so `waitUntilExit` would wait for the server.
        @discardableResult
        func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
            let capture = FileManager.default.temporaryDirectory.appendingPathComponent("\(socket)-\(UUID().uuidString).out").path
            defer { try? FileManager.default.removeItem(atPath: capture) }
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 1, capture, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
            let argv = (["/usr/bin/tmux", "-L", socket, "-f", "/dev/null"] + arguments).map { strdup($0) } + [nil]
            defer { argv.forEach { free($0) } }
            var pid: pid_t = 0
            guard posix_spawn(&pid, "/usr/bin/tmux", &actions, nil, argv, environ) == 0 else { return (-1, "cannot start tmux") }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            let output = (try? String(contentsOfFile: capture, encoding: .utf8)) ?? ""
            return ((status >> 8) & 0xFF, output)
        }

        func keys(_ keys: String...) throws { try run(["send-keys", "-t", "t"] + keys) }
        func type(_ text: String) throws { try run(["send-keys", "-t", "t", "-l", text]) }
        /// The screen as text; `joined` puts lines the terminal wrapped back together.
        func screen(joined: Bool = false) throws -> String { try run(["capture-pane", "-p"] + (joined ? ["-J"] : []) + ["-t", "t"]).output }

        /// The screen once it contains `text` (waiting up to `seconds`).
        @discardableResult
        /// The screen once it shows `text` (on at least `lines` non-empty lines: a redraw after a
        /// resize may show its first lines before the rest).
        func wait(for text: String, lines: Int = 0, seconds: Double = 15) throws -> String {
            let deadline = Date().addingTimeInterval(seconds)
            var last = ""
            while Date() < deadline {
                last = try screen()
                if last.contains(text), last.split(separator: "\n").count >= lines { return last }
                usleep(100_000)
            }
            Issue.record("the terminal never showed \"\(text)\"; it shows:\n\(last)")
            return last
        }

        /// The screen, wrapped lines joined, once `text` is on it `times` times.
        @discardableResult
        func wait(for text: String, times: Int, seconds: Double = 15) throws -> String {
            let deadline = Date().addingTimeInterval(seconds)
            var last = ""
            while Date() < deadline {
                last = try screen(joined: true)
                if last.components(separatedBy: text).count - 1 >= times { return last }
                usleep(100_000)
            }
            Issue.record("the terminal never showed \"\(text)\" \(times) times; it shows:\n\(last)")
            return last
        }

        deinit { _ = try? run(["kill-server"]) }
    }

    /// A service whose three workers each have an accepted take the ASR disagrees with (a task
    /// for verifiers) and a rejected one; the accepted takes' ids come last.
    static func seeded() async throws -> (ServiceCommandTests.RunningService, Seeder, String, [String]) {
        // The seed posts its own transcripts: no take is sampled without one meanwhile.
        let service = try ServiceCommandTests.RunningService(campaign: AnalyzeCommandTests.root.appendingPathComponent("prompts/assistant-maison/campaign.yaml").path,
                                                             arguments: ["--sample-without-asr-after", "3600"])
        let admin = try String(contentsOfFile: service.directory + "/admin.token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let seeder = Seeder(server: service.server, admin: admin)
        let campaign = try await seeder.campaign()
        let asr = try await seeder.member("asr")
        var variant: UInt8 = 1
        var accepted: [String] = []
        for (accent, gender) in [("belge", "female"), ("quebecois", "male"), ("parisien", "female")] {
            let worker = try await seeder.member("worker", profile: ["accent": accent, "gender": gender, "age_band": "25-34", "consent_at": "2026-01-01T00:00:00Z"])
            for sample in ["clean_fr-be_2.wav", "too_short.wav"] {
                let answer = try await seeder.take(sample, variant: variant, campaign: campaign, token: worker)
                variant += 1
                if let id = answer["recording_id"] as? String, answer["verdict"] as? String == "accept" {
                    accepted.append(id)
                    // An ASR engine that heard something else: the take goes to a verifier.
                    let body = try JSONSerialization.data(withJSONObject: ["engine": "test-asr", "text": "allume la lampe du salon"])
                    #expect(try await seeder.call("POST", "/v1/recordings/\(id)/asr", token: asr, body: body).status == 201)
                }
            }
        }
        return (service, seeder, campaign, accepted)
    }

    /// A shell prefix that runs a command in `locale` (LANG), whatever the tests' own locale.
    static func speaking(_ locale: String) -> String {
        "env -u LC_ALL -u LC_MESSAGES -u PARLOIR_TOKEN LANG=\(locale)"
    }

    /// A new verifier's token, in a file of the service's folder.
    static func verifierTokenFile(_ service: ServiceCommandTests.RunningService, _ seeder: Seeder) async throws -> String {
        let tokenFile = service.directory + "/verifier-\(UUID().uuidString.prefix(8)).token"
        try Data(try await seeder.member("verifier").utf8).write(to: URL(fileURLWithPath: tokenFile))
        return tokenFile
    }

    @Test func reportPrintsTextJSONAndMarkdown() async throws {
        let (service, _, campaign, _) = try await Self.seeded()
        let json = try service.admin(["report", "--campaign", campaign, "--format", "json"])
        #expect(json.status == 0, "\(json.error)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        let totals = try #require(object["totals"] as? [String: Any])
        #expect(totals["takes"] as? Int == 6 && totals["accepted"] as? Int == 3 && totals["speakers"] as? Int == 3)

        let text = try service.admin(["report", "--campaign", "assistant-maison"])
        #expect(text.status == 0)
        #expect(!text.output.contains("\u{1B}"), "no escape codes in a pipe")
        #expect(text.output.contains("Quota: accent (recordings)") && text.output.contains("too_short"))

        let markdown = try service.admin(["report", "--format", "markdown"])
        #expect(markdown.output.hasPrefix("# Campaign assistant-maison"))
        // One accepted take, and the assignment of the rejected one still open.
        #expect(markdown.output.contains("| belge | 83 | 55 | 138 | 1 | 1 | under |"))

        let unknown = try service.admin(["report", "--campaign", "nulle-part"])
        #expect(unknown.status == 2 && unknown.error.contains("no campaign \"nulle-part\""))
        #expect(try service.admin(["report", "--format", "yaml"]).status == 2)
        #expect(service.stop() == 0)
    }

    @Test func dashboardRunsInATerminalAndGivesItBack() async throws {
        try #require(Tmux.available, "tmux is installed by the test command")
        let (service, _, _, _) = try await Self.seeded()
        let folder = service.directory
        let command = "stty -g > \(folder)/before; \(AnalyzeCommandTests.binary) dashboard --server \(service.server) --data-dir \(folder); "
            + "echo EXITED $?; stty -g > \(folder)/after; sleep 120"
        for quit in ["q", "C-c"] {
            let tmux = try Tmux(width: 80, height: 24, command: command)
            let screen = try tmux.wait(for: "Workers")
            for title in ["Uploads per minute", "Verdicts", "SNR (dB)", "Duration (s)", "Quotas", "Verification"] {
                #expect(screen.contains(title), "\(title)")
            }
            #expect(screen.contains("takes 6 · accepted 50.0 %"))
            #expect(screen.contains("┏━ Quotas"))
            try tmux.keys("Tab")
            try tmux.wait(for: "┏━ Verification")
            try tmux.run(["resize-window", "-t", "t", "-x", "120", "-y", "40"])
            let wide = try tmux.wait(for: "┌─ Duration (s), all takes ─────────────────", lines: 39)
            #expect(wide.split(separator: "\n").count >= 39)
            try tmux.keys(quit)
            try tmux.wait(for: "EXITED 0")
            #expect(try tmux.screen().contains("Verdicts") == false, "the main screen is back")
            usleep(200_000)
            let before = try String(contentsOfFile: folder + "/before", encoding: .utf8)
            let after = try String(contentsOfFile: folder + "/after", encoding: .utf8)
            #expect(before == after, "terminal settings restored after \(quit)")
        }
        #expect(service.stop() == 0)
    }

    @Test func verifyTakesAnEditedTranscriptAndGivesTheLeaseBackOnCtrlC() async throws {
        try #require(Tmux.available, "tmux is installed by the test command")
        let (service, seeder, campaign, _) = try await Self.seeded()
        let tokenFile = try await Self.verifierTokenFile(service, seeder)
        let verifier = try String(contentsOfFile: tokenFile, encoding: .utf8)
        let tmux = try Tmux(width: 120, height: 40, command: "\(Self.speaking("C.UTF-8")) \(AnalyzeCommandTests.binary) verify --server \(service.server) --token-file \(tokenFile) "
                            + "--player none --audio-dir \(service.directory)/audio; echo EXITED $?; sleep 120")
        let first = try tmux.wait(for: "[a] matches the prompt")
        #expect(first.contains("prompt  ") && first.contains("ASR     allume la lampe du salon"))
        #expect(first.contains("{+allume+}"))
        #expect(first.contains("audio saved to \(service.directory)/audio/tsk-"))

        try tmux.keys("e")
        try tmux.wait(for: "transcript> allume la lampe du salon")
        try tmux.keys("End")
        for _ in 0..<"lampe du salon".count { try tmux.keys("BSpace") }
        try tmux.type("lumière de la cuisine")
        try tmux.wait(for: "transcript> allume la lumière de la cuisine")
        try tmux.keys("Enter")
        try tmux.wait(for: "✓ recorded")

        // The next task comes on screen; Ctrl-C gives it back.
        var screen = ""
        for _ in 0..<50 {
            screen = try tmux.screen()
            if screen.components(separatedBy: "[s] skip").count == 3 { break }
            usleep(100_000)
        }
        let ids = screen.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("Task ") else { return nil }
            return line.split(separator: " ").dropFirst().first.map(String.init)
        }
        #expect(ids.count == 2)
        try tmux.keys("C-c")
        let end = try tmux.wait(for: "EXITED 0")
        #expect(end.contains("task given back to the queue"))
        #expect(end.contains("1 result recorded in this session."))
        let claim = try await seeder.call("POST", "/v1/verification/claim", token: verifier)
        #expect(claim.json["task_id"] as? String == ids.last, "the released task is claimable again")

        let verifiers = try await seeder.call("GET", "/v1/verification/verifiers", token: seeder.admin).json["verifiers"] as? [[String: Any]]
        #expect(verifiers?.first?["reviews"] as? Int == 1)
        let report = try await seeder.call("GET", "/v1/campaigns/\(campaign)/report", token: seeder.admin).json
        #expect(((report["verification"] as? [String: Any])?["backlog_total"] as? Int ?? 0) >= 2)
        #expect(service.stop() == 0)
    }

    @Test func verifySpeaksFrenchAndSaysOnceThatTakesAreSavedWithoutAPlayer() async throws {
        try #require(Tmux.available, "tmux is installed by the test command")
        let (service, seeder, _, _) = try await Self.seeded()
        let tokenFile = try await Self.verifierTokenFile(service, seeder)
        let audio = service.directory + "/audio"
        let tmux = try Tmux(width: 160, height: 50, command: "\(Self.speaking("fr_FR.UTF-8")) \(AnalyzeCommandTests.binary) verify "
                            + "--server \(service.server) --token-file \(tokenFile) --player none --audio-dir \(audio); echo EXITED $?; sleep 120")
        let first = try tmux.wait(for: "[a] conforme à la phrase")
        #expect(first.contains("Vérification Parloir  ·  q quitte (la tâche retourne dans la file)"))
        #expect(first.contains("  [a] conforme à la phrase  [e] corriger la transcription  [t] étiquettes  [u] inutilisable  [p] réécouter  [s] passer  [q] quitter"))
        #expect(first.contains("Pas de lecteur audio (--player none)\u{A0}: chaque prise est enregistrée dans \(audio)"))
        #expect(first.contains("  phrase  ") && first.contains("  ASR     allume la lampe du salon") && first.contains("  écarts  "))
        #expect(first.contains("Tâche tsk-") && first.contains("(désaccord avec l’ASR)"))
        // The take is on disk, where the screen says, while its task is open.
        let saved = "  audio enregistré dans "
        let file = try #require(first.split(separator: "\n").first { $0.hasPrefix(saved) }.map { String($0.dropFirst(saved.count)) })
        #expect(file.hasPrefix(audio + "/tsk-"))
        #expect(FileManager.default.fileExists(atPath: file))

        try tmux.keys("a")
        let second = try tmux.wait(for: "[q] quitter", times: 2)
        #expect(second.contains("✓ enregistré"))
        #expect(second.components(separatedBy: "Pas de lecteur audio").count == 2, "the missing player is said once, not per task")
        #expect(second.components(separatedBy: saved).count == 3, "each task says where its take is")
        #expect(!FileManager.default.fileExists(atPath: file), "the first take's file went with its task")

        try tmux.keys("q")
        let end = try tmux.wait(for: "EXITED 0")
        #expect(end.contains("  tâche rendue à la file"))
        #expect(end.contains("1 résultat enregistré pendant cette session."))
        #expect(try FileManager.default.contentsOfDirectory(atPath: audio).isEmpty, "no voice is left behind")
        #expect(service.stop() == 0)
    }

    @Test func verifySkipShowsAnotherTakeNotTheOneJustGivenBack() async throws {
        try #require(Tmux.available, "tmux is installed by the test command")
        let (service, seeder, _, _) = try await Self.seeded()
        let tokenFile = try await Self.verifierTokenFile(service, seeder)
        let tmux = try Tmux(width: 160, height: 50, command: "\(Self.speaking("C.UTF-8")) \(AnalyzeCommandTests.binary) verify "
                            + "--server \(service.server) --token-file \(tokenFile) --player none --audio-dir \(service.directory)/audio; echo EXITED $?; sleep 120")
        _ = try tmux.wait(for: "[q] quit")
        try tmux.keys("s")
        let screen = try tmux.wait(for: "[q] quit", times: 2)
        let tasks = screen.split(separator: "\n").filter { $0.hasPrefix("Task tsk-") }.map { $0.split(separator: " ")[1] }
        #expect(tasks.count == 2 && tasks[0] != tasks[1], "a skipped take does not come straight back: \(tasks)")
        #expect(screen.contains("  task given back to the queue"))
        try tmux.keys("q")
        let end = try tmux.wait(for: "EXITED 0")
        #expect(end.contains("0 results recorded in this session."))
        #expect(service.stop() == 0)
    }

    @Test func verifyEditingKeysGiveExactlyTheTranscriptTheServiceStores() async throws {
        try #require(Tmux.available, "tmux is installed by the test command")
        let (service, seeder, _, takes) = try await Self.seeded()
        let tokenFile = try await Self.verifierTokenFile(service, seeder)
        // No player on the PATH: the client says which it looked for.
        let tmux = try Tmux(width: 160, height: 50, command: "\(Self.speaking("C")) PATH=\(service.directory) \(AnalyzeCommandTests.binary) verify "
                            + "--server \(service.server) --token-file \(tokenFile) --audio-dir \(service.directory)/audio; echo EXITED $?; sleep 120")
        let first = try tmux.wait(for: "[a] matches the prompt")
        #expect(first.contains("No audio player found (tried aplay, paplay, ffplay, play): each take is saved in \(service.directory)/audio"))

        try tmux.keys("e")
        try tmux.wait(for: "transcript> allume la lampe du salon")
        // Ctrl-W takes the last word; Backspace takes é whole (five letters of "séjour" leave "s").
        try tmux.keys("C-w")
        try tmux.type("séjour")
        try tmux.wait(for: "transcript> allume la lampe du séjour")
        for _ in 0..<5 { try tmux.keys("BSpace") }
        try tmux.type("ous-sol")
        try tmux.wait(for: "transcript> allume la lampe du sous-sol")
        // Ctrl-A goes to the start; Ctrl-U takes what was typed there; Ctrl-D the letter under the cursor.
        try tmux.keys("C-a")
        try tmux.type("euh ")
        try tmux.wait(for: "transcript> euh allume la lampe du sous-sol")
        try tmux.keys("C-u")
        try tmux.keys("C-d")
        try tmux.type("A")
        try tmux.wait(for: "transcript> Allume la lampe du sous-sol")
        // Ctrl-E goes to the end; Ctrl-B and Ctrl-F move by a letter.
        try tmux.keys("C-e")
        try tmux.keys("C-b")
        try tmux.keys("C-f")
        try tmux.type(" s'il te plaît")
        try tmux.wait(for: "transcript> Allume la lampe du sous-sol s'il te plaît")
        try tmux.keys("Enter")
        try tmux.wait(for: "✓ recorded")
        try tmux.wait(for: "[q] quit", times: 2)
        try tmux.keys("q")
        let end = try tmux.wait(for: "EXITED 0")
        #expect(end.contains("1 result recorded in this session."))

        // A second verifier answers what is left (a double review, if the take drew one), so the
        // take's outcome and final transcript are settled.
        let other = try await seeder.member("verifier")
        for _ in 0..<10 {
            let claim = try await seeder.call("POST", "/v1/verification/claim", token: other)
            guard claim.status == 200, let task = claim.json["task_id"] as? String else { break }
            let body = try JSONSerialization.data(withJSONObject: ["verdict": "matches_prompt"])
            #expect(try await seeder.call("POST", "/v1/verification/tasks/\(task)/result", token: other, body: body).status == 200)
        }
        var finals: [String] = []
        for take in takes {
            let recording = try await seeder.call("GET", "/v1/recordings/\(take)", token: seeder.admin).json
            if let final = recording["final_transcript"] as? String { finals.append(final) }
        }
        #expect(finals.contains("Allume la lampe du sous-sol s'il te plaît"), "\(finals)")
        #expect(!finals.contains { $0.unicodeScalars.contains { $0.properties.generalCategory == .control } })
        #expect(service.stop() == 0)
    }

    @Test func verifyExitsNonZeroWithAMessageWhenItCannotWork() async throws {
        try #require(Tmux.available, "tmux is installed by the test command")
        let service = try ServiceCommandTests.RunningService()
        let admin = try String(contentsOfFile: service.directory + "/admin.token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let seeder = Seeder(server: service.server, admin: admin)
        let unknown = service.directory + "/unknown.token"
        try Data("tok_\(UUID().uuidString)".utf8).write(to: URL(fileURLWithPath: unknown))
        let worker = service.directory + "/worker.token"
        try Data(try await seeder.member("worker").utf8).write(to: URL(fileURLWithPath: worker))
        // A verifier whose token an admin disabled.
        let disabled = service.directory + "/disabled.token"
        let disabledToken = try await seeder.member("verifier")
        try Data(disabledToken.utf8).write(to: URL(fileURLWithPath: disabled))
        let who = try await seeder.call("GET", "/v1/me", token: disabledToken).json["id"] as? String
        #expect(try await seeder.call("POST", "/v1/members/\(try #require(who))/state", token: admin,
                                      body: Data(#"{"state":"disabled"}"#.utf8)).status == 200)
        let nobody = "http://127.0.0.1:\(ServiceCommandTests.freePort())"
        let verify = "\(AnalyzeCommandTests.binary) verify --player none --audio-dir \(service.directory)/audio"
        let tmux = try Tmux(width: 240, height: 50, command: [
            "\(Self.speaking("fr_FR.UTF-8")) \(verify) --server \(service.server) --token-file \(unknown)",
            "\(Self.speaking("C.UTF-8")) \(verify) --server \(service.server) --token-file \(worker)",
            "\(Self.speaking("C.UTF-8")) \(verify) --server \(nobody) --token-file \(unknown)",
            "\(Self.speaking("fr_BE.UTF-8")) \(verify) --server \(service.server)",
            "\(Self.speaking("fr_FR.UTF-8")) \(verify) --server \(service.server) --token-file \(disabled)",
        ].map { $0 + "; echo EXIT=$?" }.joined(separator: "; ") + "; sleep 120")
        let screen = try tmux.wait(for: "EXIT=", times: 5)
        let runs = screen.components(separatedBy: "EXIT=")
        try #require(runs.count == 6)
        #expect(runs[0].contains("parloir: le service n’accepte pas ce jeton (HTTP 401)\u{A0}: vérifiez le jeton de vérificateur donné par --token-file ou PARLOIR_TOKEN"),
                "\(runs[0])")
        #expect(runs[1].hasPrefix("1") && runs[1].contains("parloir: this token is not a verifier's (HTTP 403): ask an admin for one (parloir member add --role verifier)"),
                "\(runs[1])")
        #expect(runs[2].hasPrefix("1") && runs[2].contains("parloir: cannot reach the service at \(nobody)"), "\(runs[2])")
        #expect(runs[3].hasPrefix("1") && runs[3].contains("parloir: donnez le jeton de vérificateur avec --token-file FICHIER ou PARLOIR_TOKEN"), "\(runs[3])")
        #expect(runs[4].hasPrefix("2"), "a missing token is a bad argument: \(runs[4])")
        #expect(runs[4].contains("parloir: ce jeton a été désactivé par un administrateur (HTTP 403)") && runs[5].hasPrefix("1"), "\(runs[4])")
        #expect(!screen.contains("résultat enregistré") && !screen.contains("result recorded"), "nothing was recorded, so no count is said")
        #expect(service.stop() == 0)
    }
}
