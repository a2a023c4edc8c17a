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
            Plays each take with aplay, paplay, ffplay or play (the first found). Without a player \
            (none found, or --player none) it says so once, then saves each take and prints its path; \
            the file is deleted when its task ends.
            Keys: a matches the prompt, e edit the transcript, t tags, u unusable, p play again, s skip, q quit.
            Ctrl-C, q and s give the task back to the queue; q and Ctrl-C print how many results were recorded.
            Speaks French when the language of messages is French (the first set of LC_ALL, LC_MESSAGES, LANG \
            starts with fr, e.g. LANG=fr_FR.UTF-8), English otherwise; the keys are the same letters in both.
            Exits 1 with a message when the service cannot be reached or refuses the token.
            """
    )

    @Option(help: "URL of the running service.") var server = "http://127.0.0.1:8080"
    @Option(help: ArgumentHelp("File holding the verifier's token (or set PARLOIR_TOKEN).", valueName: "FILE")) var tokenFile: String?
    @Option(help: ArgumentHelp("Player to use (aplay, paplay, ffplay, play), or none to only save the audio.", valueName: "NAME")) var player: String?
    @Option(help: ArgumentHelp("Folder for the audio of the task at hand.", valueName: "DIR")) var audioDir: String?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let words = VerifyWords.from(environment: environment)
        guard let url = URL(string: server), url.scheme != nil else { throw CommandLineFailure.badArgument(words.badServer) }
        let token: String
        if let tokenFile {
            guard let text = try? String(contentsOfFile: tokenFile, encoding: .utf8) else {
                throw CommandLineFailure.badArgument(words.cannotReadTokenFile(tokenFile))
            }
            token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        } else if let variable = environment["PARLOIR_TOKEN"], !variable.isEmpty {
            token = variable
        } else {
            throw CommandLineFailure.badArgument(words.noToken)
        }
        guard isatty(STDIN_FILENO) == 1 else { throw CommandLineFailure.badArgument(words.needsTerminal) }
        let known = AudioPlayer.known.map(\.0)
        let playback: VerifyApp.Playback
        switch player {
        case "none":
            playback = .declined
        case let name?:
            guard known.contains(name) else { throw CommandLineFailure.badArgument(words.unknownPlayer(known: known)) }
            guard let found = AudioPlayer.find(name) else { throw CommandLineFailure.badArgument(words.playerNotInstalled(name)) }
            playback = .player(found)
        case nil:
            playback = AudioPlayer.find(nil).map { .player($0) } ?? .noneFound(tried: known)
        }
        let folder = audioDir ?? FileManager.default.temporaryDirectory.appendingPathComponent("parloir-verify").path
        let app = VerifyApp(service: Self.service(AdminClient(server: url, token: token)), playback: playback, folder: folder,
                            style: .detect(fileDescriptor: STDOUT_FILENO), words: words)
        do {
            try await app.run()
        } catch let error as TerminalError {
            throw CommandLineFailure.badArgument(words.terminalUnusable(error.message))
        } catch let failure as VerifierServiceFailure {
            throw CommandLineFailure.refused(words.sessionEnded(failure))
        }
    }

    /// What a refusal means to the verifier. A 403 is `forbidden` when given (on a claim it is the
    /// token's role), else the service's own words (on a task, another verifier holds it).
    static func failure(_ error: ClientError, server: URL, forbidden: VerifierServiceFailure? = nil) -> VerifierServiceFailure {
        switch error.status {
        case nil: return .unreachable(server: server.absoluteString)
        case 401: return .tokenNotAccepted
        case 403 where error.code == "member_disabled": return .disabled
        case 403: return forbidden ?? .refused(error.message)
        case 409 where error.code == "lease_lost": return .leaseLost
        default: return .refused(error.message)
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
        let server = client.server
        return VerifierService(
            claim: { () async throws(VerifierServiceFailure) -> VerifierTask? in
                let answer = try await asking(server, forbidden: .notAllowed) { () async throws(ClientError) in
                    try await client.exchange("POST", "/v1/verification/claim")
                }
                guard answer.status != 204, !answer.body.isEmpty else { return nil }
                guard let claim = try? JSONDecoder().decode(Claim.self, from: answer.body) else { throw .unreadable }
                return VerifierTask(taskID: claim.task_id, kind: claim.kind, promptText: claim.prompt_text, asrText: claim.asr_text,
                                    appeal: claim.appeal.map(evidence))
            },
            audio: { id async throws(VerifierServiceFailure) in
                let answer = try await asking(server) { () async throws(ClientError) in
                    try await client.exchange("GET", "/v1/verification/tasks/\(id)/audio")
                }
                return (answer.body, answer.contentType ?? "audio/wav")
            },
            submit: { id, result async throws(VerifierServiceFailure) in
                guard let body = try? JSONEncoder().encode(result) else { throw .refused("the result cannot be written as JSON") }
                let data = try await asking(server) { () async throws(ClientError) in
                    try await client.send("POST", "/v1/verification/tasks/\(id)/result", body: body, contentType: "application/json")
                }
                return try? JSONDecoder().decode(Submitted.self, from: data).outcome
            },
            release: { id async throws(VerifierServiceFailure) in
                _ = try await asking(server) { () async throws(ClientError) in
                    try await client.send("POST", "/v1/verification/tasks/\(id)/release")
                }
            }
        )
    }

    /// Sends one request; a refusal becomes what it means to the verifier.
    static func asking<Answer>(_ server: URL, forbidden: VerifierServiceFailure? = nil,
                               _ request: () async throws(ClientError) -> Answer) async throws(VerifierServiceFailure) -> Answer {
        do {
            return try await request()
        } catch {
            throw failure(error, server: server, forbidden: forbidden)
        }
    }
}
