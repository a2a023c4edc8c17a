import ArgumentParser
import Foundation
import ParloirClient
import ParloirCore

/// Options shared by the commands that talk to a running service.
struct ServiceOptions: ParsableArguments {
    @Option(name: .long, help: "URL of the running service.")
    var server = "http://127.0.0.1:8080"

    @Option(name: .long, help: ArgumentHelp("File holding an admin token (default: DATA_DIR/admin.token).", valueName: "FILE"))
    var tokenFile: String?

    @Option(name: .long, help: ArgumentHelp("The service's data folder, for its admin token.", valueName: "DIR"))
    var dataDir = "parloir-data"

    func client() throws -> AdminClient {
        try makeClient(server: server, tokenFile: tokenFile ?? dataDir + "/admin.token")
    }
}

/// `--server` as a URL, or the message that says what it should be.
func serverURL(_ server: String) throws -> URL {
    guard let url = URL(string: server), url.scheme != nil else { throw CommandLineFailure.badArgument("--server must be a URL such as http://127.0.0.1:8080") }
    return url
}

/// A client of the service at `server` with the token in `tokenFile`.
func makeClient(server: String, tokenFile: String) throws -> AdminClient {
    let url = try serverURL(server)
    do {
        return try AdminClient(server: url, tokenFile: tokenFile)
    } catch {
        throw CommandLineFailure.badArgument(error.message)
    }
}

/// Sends a request and prints the JSON answer; a refusal becomes a one-line message and exit 1.
func sendAndPrint(_ client: AdminClient, _ method: String, _ path: String, body: Data?, contentType: String?) async throws -> Data {
    let data = try await request(client, method, path, body: body, contentType: contentType)
    print(String(decoding: data, as: UTF8.self))
    return data
}

/// The warnings of a prompt import's answer, said on standard error, where a person sees them.
func printWarnings(_ data: Data) {
    struct Answer: Decodable { let warnings: [String]? }
    for warning in (try? JSONDecoder().decode(Answer.self, from: data))?.warnings ?? [] {
        FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
    }
}

func readFile(_ path: String) throws -> Data {
    guard let data = FileManager.default.contents(atPath: path) else { throw CommandLineFailure.badArgument("cannot read \(path)") }
    return data
}

struct CampaignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "campaign", abstract: "Manage campaigns on a running service.",
        subcommands: [Create.self, List.self, Pause.self, Resume.self, Close.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the campaigns: name, id, state, piece rate.")
        @OptionGroup var service: ServiceOptions
        @Flag(name: .long, help: "Print the service's JSON answer (for scripts).") var json = false

        func run() async throws {
            let data = try await request(try service.client(), "GET", "/v1/campaigns")
            if json {
                print(String(decoding: data, as: UTF8.self))
                return
            }
            struct Listed: Decodable {
                struct Campaign: Decodable {
                    let id: String, name: String, state: String
                    let pieceRateCents: Int
                    enum CodingKeys: String, CodingKey {
                        case id, name, state
                        case pieceRateCents = "piece_rate_cents"
                    }
                }
                let campaigns: [Campaign]
            }
            let campaigns = (try? JSONDecoder().decode(Listed.self, from: data).campaigns) ?? []
            if campaigns.isEmpty { print("no campaign yet: parloir campaign create SPEC") }
            let width = campaigns.map(\.name.count).max() ?? 0
            for campaign in campaigns {
                print(campaign.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  \(campaign.id)  \(campaign.state)  "
                      + Euros.text(campaign.pieceRateCents, decimalSeparator: ".") + " per take")
            }
        }
    }

    /// Moves the campaign named or numbered `campaign` to `state` and says so.
    static func move(_ campaign: String, to state: CampaignState, service: ServiceOptions) async throws {
        let client = try service.client()
        let id = try await resolveCampaign(campaign, client: client)
        _ = try await request(client, "POST", "/v1/campaigns/\(id)/state", json: "{\"state\":\"\(state.rawValue)\"}")
        print("\(campaign) (\(id)) is \(state.rawValue)")
    }

    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Pause a campaign: no new assignment; takes on assignments under way are still accepted.")
        @OptionGroup var service: ServiceOptions
        @Argument(help: ArgumentHelp("The campaign's name or id.", valueName: "CAMPAIGN")) var campaign: String
        func run() async throws { try await CampaignCommand.move(campaign, to: .paused, service: service) }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Open a paused campaign again.")
        @OptionGroup var service: ServiceOptions
        @Argument(help: ArgumentHelp("The campaign's name or id.", valueName: "CAMPAIGN")) var campaign: String
        func run() async throws { try await CampaignCommand.move(campaign, to: .open, service: service) }
    }

    struct Close: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Close a campaign for good: no new assignment, and it does not open again.")
        @OptionGroup var service: ServiceOptions
        @Argument(help: ArgumentHelp("The campaign's name or id.", valueName: "CAMPAIGN")) var campaign: String
        func run() async throws { try await CampaignCommand.move(campaign, to: .closed, service: service) }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a campaign from a spec (YAML or JSON), then import the prompt files it lists.",
            discussion: "Example: parloir campaign create prompts/assistant-maison/campaign.yaml"
        )
        @OptionGroup var service: ServiceOptions
        @Argument(help: ArgumentHelp("Campaign spec.", valueName: "FILE")) var file: String

        func run() async throws {
            let client = try service.client()
            let spec = try readFile(file)
            let created = try await sendAndPrint(client, "POST", "/v1/campaigns", body: spec, contentType: "application/yaml")
            struct Created: Decodable { let id: String }
            guard let id = try? JSONDecoder().decode(Created.self, from: created).id,
                  let parsed = try? CampaignSpec.parse(String(decoding: spec, as: UTF8.self)) else { return }
            let folder = (file as NSString).deletingLastPathComponent
            for promptFile in parsed.promptFiles {
                let prompts = try readFile((folder as NSString).appendingPathComponent(promptFile))
                printWarnings(try await sendAndPrint(client, "POST", "/v1/campaigns/\(id)/prompts", body: prompts, contentType: "text/plain; charset=utf-8"))
            }
        }
    }
}

struct PromptsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prompts", abstract: "Manage a campaign's prompts on a running service.",
        subcommands: [Import.self, List.self, Disable.self, Enable.self, Delete.self]
    )

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Import prompts: one per line (optionally `domain<TAB>sentence`), or a JSON array.",
            discussion: """
                Prints how many were imported and each rejected line with its number and reason; exits 1 when every \
                line was rejected. Example: parloir prompts import --campaign assistant-maison more-prompts.tsv
                """
        )
        @OptionGroup var service: ServiceOptions
        @Option(name: .long, help: "The campaign's name or id.") var campaign: String
        @Flag(name: .long, help: "Print the service's JSON answer (for scripts).") var json = false
        @Argument(help: ArgumentHelp("Prompt file (.txt, .tsv or .json).", valueName: "FILE")) var file: String

        func run() async throws {
            let client = try service.client()
            let id = try await resolveCampaign(campaign, client: client)
            let type = file.hasSuffix(".json") ? "application/json" : "text/plain; charset=utf-8"
            let body = try readFile(file)
            let data = try await request(client, "POST", "/v1/campaigns/\(id)/prompts", body: body, contentType: type)
            struct Answer: Decodable {
                let imported: Int
                let rejected: [PromptRejection]
            }
            guard let answer = try? JSONDecoder().decode(Answer.self, from: data) else { throw CommandLineFailure.refused("the service's answer is not an import result") }
            if json {
                print(String(decoding: data, as: UTF8.self))
            } else {
                print(Self.summary(imported: answer.imported, rejected: answer.rejected))
            }
            printWarnings(data)
            if answer.imported == 0 && !answer.rejected.isEmpty {
                throw CommandLineFailure.refused("no prompt of \(file) was imported: every line was rejected")
            }
        }

        /// `12 imported, 2 rejected:` then one line per rejection.
        static func summary(imported: Int, rejected: [PromptRejection]) -> String {
            var lines = ["\(imported) imported, \(rejected.count) rejected\(rejected.isEmpty ? "" : ":")"]
            for rejection in rejected {
                let text = rejection.text.count > 60 ? String(rejection.text.prefix(57)) + "…" : rejection.text
                lines.append("  line \(rejection.line): \(rejection.reason) (\(text))")
            }
            return lines.joined(separator: "\n")
        }
    }
}

/// An id as the service makes them (`w-3f9c1a7b2d4e5f60`, `inv-…`), so that it is a path segment as is.
func validateID(_ id: String, what: String = "a member id", example: String = "w-3f9c1a7b2d4e5f60") throws {
    guard !id.isEmpty, id.count <= 64, id.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }) else {
        throw ValidationError("ID must be \(what) such as \(example)")
    }
}

struct MemberCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "member", abstract: "Manage members on a running service.",
        subcommands: [Add.self, List.self, Disable.self, Enable.self, Rotate.self, Erase.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a member and print its token (shown once).",
            discussion: "Example: parloir member add --role worker --accent marseillais --region provence-alpes-cote-d-azur --gender female --age-band 25-34 --consent"
        )
        @OptionGroup var service: ServiceOptions
        @Option(name: .long, help: "admin, worker, verifier or asr.") var role: String
        @Option(name: .long) var accent: String?
        @Option(name: .long, help: "Region or country slug, e.g. ile-de-france, belgique, quebec.") var region: String?
        @Option(name: .long, help: "female, male, non_binary or undisclosed.") var gender: String?
        @Option(name: .long, help: "18-24, 25-34, 35-44, 45-54, 55-64 or 65+.") var ageBand: String?
        @Option(name: .long) var nativeLanguage: String?
        @Flag(name: .long, help: "Record the worker's consent now.") var consent = false
        @Option(name: .long, help: "The campaign (name or id) whose profile values a worker's must be among (default: any campaign not closed).")
        var campaign: String?

        func validate() throws {
            if Role(rawValue: role) == nil { throw ValidationError("--role must be admin, worker, verifier or asr") }
        }

        func run() async throws {
            let profile = WorkerProfile(accent: accent, region: region, gender: gender, ageBand: ageBand,
                                        nativeLanguage: nativeLanguage, consentAt: consent ? Date() : nil)
            struct Body: Encodable { let role: String; let profile: WorkerProfile; let campaign: String? }
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
            let body = try encoder.encode(Body(role: role, profile: profile, campaign: campaign))
            _ = try await sendAndPrint(try service.client(), "POST", "/v1/members", body: body, contentType: "application/json")
        }
    }

    struct Erase: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Erase a member (GDPR article 17): profile, token, takes and their audio; prints the tombstone.",
            discussion: """
                The member's pay stays in their campaigns' pay totals, as an anonymous figure; their takes leave the quotas, \
                and exports made afterwards do not contain them. Asks for the id again unless --yes. Admins are not erased. \
                Example: parloir member erase w-3f9c1a7b2d4e5f60 --yes
                """
        )
        @OptionGroup var service: ServiceOptions
        @Argument(help: ArgumentHelp("The member's id.", valueName: "ID")) var id: String
        @Flag(name: .long, help: "Erase without asking (for scripts).") var yes = false

        func validate() throws { try validateID(id) }

        func run() async throws {
            let client = try service.client()
            if !yes {
                guard isatty(STDIN_FILENO) == 1 else {
                    throw CommandLineFailure.badArgument("erasing \(id) cannot be undone: add --yes to erase without being asked (standard input is not a terminal)")
                }
                FileHandle.standardOutput.write(Data("Erase \(id): profile, token, every take and its audio? This cannot be undone. Type the id again to confirm: ".utf8))
                guard readLine()?.trimmingCharacters(in: .whitespaces) == id else {
                    throw CommandLineFailure.refused("not confirmed: nothing was erased")
                }
            }
            _ = try await sendAndPrint(client, "DELETE", "/v1/members/\(id)", body: nil, contentType: nil)
        }
    }
}
