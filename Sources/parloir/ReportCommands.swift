import ArgumentParser
import Foundation
import ParloirClient
import ParloirCore
import ParloirTerminal

/// The campaigns of the service, and the index of the one asked for (by id or name; the
/// first when none is asked for).
func campaignChoices(_ client: AdminClient, wanted: String?) async throws -> (choices: [CampaignChoice], index: Int) {
    struct Listing: Decodable {
        struct Entry: Decodable { let id: String; let name: String }
        let campaigns: [Entry]
    }
    let data: Data
    do { data = try await client.send("GET", "/v1/campaigns") } catch { throw CommandLineFailure.refused(error.message) }
    guard let listing = try? JSONDecoder().decode(Listing.self, from: data) else { throw CommandLineFailure.refused("the service sent an unreadable campaign list") }
    let choices = listing.campaigns.map { CampaignChoice(id: $0.id, name: $0.name) }
    guard !choices.isEmpty else { throw CommandLineFailure.refused("the service has no campaign yet (parloir campaign create FILE)") }
    guard let wanted else { return (choices, 0) }
    guard let index = choices.firstIndex(where: { $0.id == wanted || $0.name == wanted }) else {
        throw CommandLineFailure.badArgument("no campaign \"\(wanted)\"; campaigns are " + choices.map { "\($0.name) (\($0.id))" }.joined(separator: ", "))
    }
    return (choices, index)
}

/// Fetches and decodes a campaign's report.
func fetchReport(_ client: AdminClient, campaignID: String) async throws -> CampaignReport {
    let data: Data
    do { data = try await client.send("GET", "/v1/campaigns/\(campaignID)/report") } catch { throw CommandLineFailure.refused(error.message) }
    do {
        return try CampaignReport.decoder.decode(CampaignReport.self, from: data)
    } catch {
        throw CommandLineFailure.refused("the service sent a report this parloir cannot read: \(error)")
    }
}

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Print a campaign's report: totals, rejections, quotas, verification, noise, workers.",
        discussion: "Colour only on a terminal (and never with NO_COLOR). JSON is the service's report as it is served."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json, markdown
    }

    @OptionGroup var service: ServiceOptions
    @Option(help: "Campaign id or name (default: the first campaign).") var campaign: String?
    @Option(help: "text, json or markdown.") var format: Format = .text

    func run() async throws {
        let client = try service.client()
        let (choices, index) = try await campaignChoices(client, wanted: campaign)
        let report = try await fetchReport(client, campaignID: choices[index].id)
        switch format {
        case .text:
            FileHandle.standardOutput.write(Data(ReportFormatter.text(report, style: .detect(fileDescriptor: STDOUT_FILENO)).utf8))
        case .markdown:
            FileHandle.standardOutput.write(Data(ReportFormatter.markdown(report).utf8))
        case .json:
            let encoder = CampaignReport.encoder
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            FileHandle.standardOutput.write(try encoder.encode(report) + Data("\n".utf8))
        }
    }
}

struct DashboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "A live full-screen QA dashboard of a campaign, refreshed every 2 s.",
        discussion: "Keys: q quits, tab and shift-tab move between panels, ←/→ between campaigns, ↑/↓ scroll the quota and worker panels."
    )

    @OptionGroup var service: ServiceOptions
    @Option(help: "Campaign id or name to start on (default: the first campaign).") var campaign: String?

    func run() async throws {
        guard isatty(STDOUT_FILENO) == 1, isatty(STDIN_FILENO) == 1 else {
            throw CommandLineFailure.badArgument("the dashboard needs a terminal; for scripts use parloir report --format text|json|markdown")
        }
        let client = try service.client()
        let (choices, index) = try await campaignChoices(client, wanted: campaign)
        let app = DashboardApp(campaigns: choices, initial: index) { id in try await fetchReport(client, campaignID: id) }
        do { try await app.run() } catch { throw CommandLineFailure.badArgument(error.message) }
    }
}

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify takes from the terminal: listen, compare the prompt with the ASR text, answer.",
        discussion: """
            Plays each take with aplay, paplay, ffplay or play (the first found), or saves it and prints the path.
            Keys: a matches the prompt, e edit the transcript, t tags, u unusable, p play again, s skip, q quit.
            Ctrl-C, q and s give the task back to the queue.
            """
    )

    @Option(help: "URL of the running service.") var server = "http://127.0.0.1:8080"
    @Option(help: ArgumentHelp("File holding the verifier's token (or set PARLOIR_TOKEN).", valueName: "FILE")) var tokenFile: String?
    @Option(help: ArgumentHelp("Player to use (aplay, paplay, ffplay, play), or none to only save the audio.", valueName: "NAME")) var player: String?
    @Option(help: ArgumentHelp("Folder for the audio of the task at hand.", valueName: "DIR")) var audioDir: String?

    func run() async throws {
        let client: AdminClient
        if let tokenFile {
            client = try makeClient(server: server, tokenFile: tokenFile)
        } else if let token = ProcessInfo.processInfo.environment["PARLOIR_TOKEN"], !token.isEmpty {
            client = AdminClient(server: try serverURL(server), token: token)
        } else {
            throw CommandLineFailure.badArgument("give the verifier's token with --token-file FILE or PARLOIR_TOKEN")
        }
        guard isatty(STDIN_FILENO) == 1 else { throw CommandLineFailure.badArgument("parloir verify reads keys from a terminal") }
        var chosen: AudioPlayer?
        if let player, player != "none" {
            guard AudioPlayer.known.contains(where: { $0.0 == player }) else {
                throw CommandLineFailure.badArgument("--player must be one of \(AudioPlayer.known.map(\.0).joined(separator: ", ")) or none")
            }
            guard let found = AudioPlayer.find(player) else { throw CommandLineFailure.badArgument("\(player) is not installed") }
            chosen = found
        } else if player == nil {
            chosen = AudioPlayer.find(nil)
        }
        let folder = audioDir ?? FileManager.default.temporaryDirectory.appendingPathComponent("parloir-verify").path
        let app = VerifyApp(service: Self.service(client), player: chosen, folder: folder, style: .detect(fileDescriptor: STDOUT_FILENO))
        do {
            try await app.run()
        } catch let error as TerminalError {
            throw CommandLineFailure.badArgument(error.message)
        }
    }

    /// The verification API as the client's functions.
    static func service(_ client: AdminClient) -> VerifierService {
        struct Claim: Decodable {
            let task_id: String
            let kind: String
            let prompt_text: String
            let asr_text: String?
            let appeal: Appeal?
        }
        struct Appeal: Decodable {
            struct Reason: Decodable {
                let code: String
                let message: String
                let hint_fr: String
            }
            let comment: String?
            let reasons: [Reason]
            let metrics: [String: Double?]
        }
        /// Metrics in the order the API documents them; null ones are left out.
        let metricOrder = ["duration_s", "sample_rate", "channels", "peak_dbfs", "rms_dbfs", "speech_level_dbfs", "dc_offset",
                           "clipped_fraction", "clipped_runs", "speech_s", "leading_silence_s", "trailing_silence_s", "snr_db",
                           "bandwidth_hz", "hum_db", "speaking_rate_sps"]
        @Sendable func evidence(_ appeal: Appeal) -> AppealEvidence {
            let names = metricOrder.filter { appeal.metrics.keys.contains($0) } + appeal.metrics.keys.filter { !metricOrder.contains($0) }.sorted()
            let metrics = names.compactMap { name in
                appeal.metrics[name].flatMap { $0 }.map { (name: name, value: String(format: "%.4g", $0)) }
            }
            return AppealEvidence(comment: appeal.comment,
                                  reasons: appeal.reasons.map { .init(code: $0.code, message: $0.message, hintFR: $0.hint_fr) },
                                  metrics: metrics)
        }
        struct Submitted: Decodable { let outcome: String? }
        return VerifierService(
            claim: {
                let answer = try await client.exchange("POST", "/v1/verification/claim")
                guard answer.status != 204, !answer.body.isEmpty else { return nil }
                let claim = try JSONDecoder().decode(Claim.self, from: answer.body)
                return VerifierTask(taskID: claim.task_id, kind: claim.kind, promptText: claim.prompt_text, asrText: claim.asr_text,
                                    appeal: claim.appeal.map(evidence))
            },
            audio: { id in
                let answer = try await client.exchange("GET", "/v1/verification/tasks/\(id)/audio")
                return (answer.body, answer.contentType ?? "audio/wav")
            },
            submit: { id, result in
                let data = try await client.send("POST", "/v1/verification/tasks/\(id)/result", body: try JSONEncoder().encode(result),
                                                 contentType: "application/json")
                return try? JSONDecoder().decode(Submitted.self, from: data).outcome
            },
            release: { id in _ = try await client.send("POST", "/v1/verification/tasks/\(id)/release") }
        )
    }
}
