import ArgumentParser
import Foundation
import ParloirClient
import ParloirCore

/// Sends a request whose refusal ends the command with the service's message (exit 1).
func request(_ client: AdminClient, _ method: String, _ path: String, body: Data? = nil, contentType: String? = nil) async throws -> Data {
    do {
        return try await client.send(method, path, body: body, contentType: contentType)
    } catch {
        throw CommandLineFailure.refused(error.message)
    }
}

/// Sends a JSON body (see `request`).
func request(_ client: AdminClient, _ method: String, _ path: String, json: String) async throws -> Data {
    try await request(client, method, path, body: Data(json.utf8), contentType: "application/json")
}

/// Every page of a listing route (`items` under `key`), following `next_after`.
func allPages(_ client: AdminClient, _ path: String, key: String) async throws -> [[String: Any]] {
    var items: [[String: Any]] = []
    var after: String?
    repeat {
        let separator = path.contains("?") ? "&" : "?"
        let page = try await request(client, "GET", path + (after.map { "\(separator)after=\($0.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? $0)" } ?? ""))
        guard let answer = try? JSONSerialization.jsonObject(with: page) as? [String: Any], let listed = answer[key] as? [[String: Any]] else {
            throw CommandLineFailure.refused("the service's answer is not a list of \(key)")
        }
        items += listed
        after = (answer["next_after"] as? Int).map(String.init) ?? answer["next_after"] as? String
    } while after != nil
    return items
}

/// Rows as columns padded to their widest cell (the last column is not padded).
func table(_ rows: [[String]]) -> String {
    guard let columns = rows.map(\.count).max() else { return "" }
    let widths = (0..<columns).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
    return rows.map { row in
        row.enumerated().map { column, cell in
            column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
        }.joined(separator: "  ")
    }.joined(separator: "\n")
}

/// Prints `items` as JSON (for scripts).
func printJSON(_ key: String, _ items: [[String: Any]]) throws {
    let data = try JSONSerialization.data(withJSONObject: [key: items], options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    print(String(decoding: data, as: UTF8.self))
}

extension PromptsCommand {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List a campaign's prompts: id, state, takes, accepted, speakers, skipped, reported, text.",
            discussion: "Example: parloir prompts list --campaign assistant-maison --reported"
        )
        @OptionGroup var service: ServiceOptions
        @Option(name: .long, help: "The campaign's name or id.") var campaign: String
        @Flag(name: .long, help: "Only prompts workers skipped or reported, most reported first.") var reported = false
        @Flag(name: .long, help: "Print JSON (for scripts).") var json = false

        func run() async throws {
            let client = try service.client()
            let id = try await resolveCampaign(campaign, client: client)
            var prompts = try await allPages(client, "/v1/campaigns/\(id)/prompts?limit=5000", key: "prompts")
            func count(_ prompt: [String: Any], _ key: String) -> Int { prompt[key] as? Int ?? 0 }
            if reported {
                prompts = prompts.filter { count($0, "reported") + count($0, "skipped") > 0 }
                    .sorted { (count($0, "reported"), count($0, "skipped")) > (count($1, "reported"), count($1, "skipped")) }
            }
            if json { return try printJSON("prompts", prompts) }
            if prompts.isEmpty {
                print(reported ? "no prompt of \(campaign) was skipped or reported" : "\(campaign) has no prompt yet: parloir prompts import --campaign \(campaign) FILE")
                return
            }
            var rows = [["id", "state", "takes", "accepted", "speakers", "skipped", "reported", "text"]]
            for prompt in prompts {
                rows.append([String(count(prompt, "id")), prompt["state"] as? String ?? "", String(count(prompt, "takes")),
                             String(count(prompt, "accepted")), String(count(prompt, "speakers")), String(count(prompt, "skipped")),
                             String(count(prompt, "reported")), prompt["text"] as? String ?? ""])
            }
            print(table(rows))
            let disabled = prompts.filter { $0["state"] as? String == "disabled" }.count
            print("\(prompts.count) prompt\(prompts.count == 1 ? "" : "s")" + (disabled > 0 ? ", \(disabled) disabled" : ""))
        }
    }

    /// Moves each prompt of `ids` to `state` and says so.
    static func move(_ ids: [Int64], to state: String, campaign: String, service: ServiceOptions) async throws {
        let client = try service.client()
        let id = try await resolveCampaign(campaign, client: client)
        for prompt in ids {
            _ = try await request(client, "POST", "/v1/campaigns/\(id)/prompts/\(prompt)/state", json: "{\"state\":\"\(state)\"}")
            print("prompt \(prompt) is \(state)")
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disable prompts: nobody new is given them; assignments under way keep going.")
        @OptionGroup var service: ServiceOptions
        @Option(name: .long, help: "The campaign's name or id.") var campaign: String
        @Argument(help: ArgumentHelp("Prompt ids (parloir prompts list shows them).", valueName: "ID")) var ids: [Int64]
        func run() async throws { try await PromptsCommand.move(ids, to: "disabled", campaign: campaign, service: service) }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable disabled prompts again.")
        @OptionGroup var service: ServiceOptions
        @Option(name: .long, help: "The campaign's name or id.") var campaign: String
        @Argument(help: ArgumentHelp("Prompt ids.", valueName: "ID")) var ids: [Int64]
        func run() async throws { try await PromptsCommand.move(ids, to: "enabled", campaign: campaign, service: service) }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete prompts nobody recorded or holds; a recorded prompt is refused (disable it instead).")
        @OptionGroup var service: ServiceOptions
        @Option(name: .long, help: "The campaign's name or id.") var campaign: String
        @Argument(help: ArgumentHelp("Prompt ids.", valueName: "ID")) var ids: [Int64]

        func run() async throws {
            let client = try service.client()
            let id = try await resolveCampaign(campaign, client: client)
            for prompt in ids {
                _ = try await request(client, "DELETE", "/v1/campaigns/\(id)/prompts/\(prompt)")
                print("prompt \(prompt) deleted")
            }
        }
    }
}

extension MemberCommand {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List members: id, role, state, profile, takes, accepted, reviews, earnings.",
            discussion: "Example: parloir member list --role worker"
        )
        @OptionGroup var service: ServiceOptions
        @Option(name: .long, help: "admin, worker, verifier or asr.") var role: String?
        @Flag(name: .long, help: "Print JSON (for scripts).") var json = false

        func validate() throws {
            if let role, Role(rawValue: role) == nil { throw ValidationError("--role must be admin, worker, verifier or asr") }
        }

        func run() async throws {
            let client = try service.client()
            let members = try await allPages(client, "/v1/members?limit=5000" + (role.map { "&role=\($0)" } ?? ""), key: "members")
            if json { return try printJSON("members", members) }
            if members.isEmpty {
                print("no member" + (role.map { " with the role \($0)" } ?? "") + " yet: parloir member add, or parloir invite create")
                return
            }
            var rows = [["id", "role", "state", "profile", "takes", "accepted", "reviews", "earnings"]]
            for member in members {
                let profile = member["profile"] as? [String: Any] ?? [:]
                let declared = ["accent", "region", "gender", "age_band"].compactMap { profile[$0] as? String }.joined(separator: " ")
                let consent = profile["consent_at"] is String ? "" : (member["role"] as? String == "worker" ? " (no consent)" : "")
                rows.append([member["id"] as? String ?? "", member["role"] as? String ?? "", member["state"] as? String ?? "",
                             (declared.isEmpty ? "-" : declared) + consent, String(member["takes"] as? Int ?? 0),
                             String(member["accepted"] as? Int ?? 0), String(member["reviews"] as? Int ?? 0),
                             Euros.text(member["earnings_cents"] as? Int ?? 0, decimalSeparator: ".")])
            }
            print(table(rows))
        }
    }

    /// Moves the member `id` to `state` (active or disabled) and says so.
    static func move(_ id: String, to state: String, service: ServiceOptions) async throws {
        _ = try await request(try service.client(), "POST", "/v1/members/\(id)/state", json: "{\"state\":\"\(state)\"}")
        print("\(id) is \(state)")
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disable a member's token: it opens nothing until enabled again; takes, pay and reviews stay.")
        @OptionGroup var service: ServiceOptions
        @Argument(help: ArgumentHelp("The member's id.", valueName: "ID")) var id: String
        func validate() throws { try validateID(id) }
        func run() async throws { try await MemberCommand.move(id, to: "disabled", service: service) }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled member's token again.")
        @OptionGroup var service: ServiceOptions
        @Argument(help: ArgumentHelp("The member's id.", valueName: "ID")) var id: String
        func validate() throws { try validateID(id) }
        func run() async throws { try await MemberCommand.move(id, to: "active", service: service) }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-token",
            abstract: "Give a member a new token (printed once); the old one stops working.",
            discussion: "Example: parloir member rotate-token v-3f9c1a7b2d4e5f60 > verifier.token"
        )
        @OptionGroup var service: ServiceOptions
        @Argument(help: ArgumentHelp("The member's id.", valueName: "ID")) var id: String
        func validate() throws { try validateID(id) }
        func run() async throws {
            let data = try await request(try service.client(), "POST", "/v1/members/\(id)/token")
            guard let answer = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let token = answer["token"] as? String else {
                throw CommandLineFailure.refused("the service's answer holds no token")
            }
            FileHandle.standardError.write(Data("\(id) has a new token (shown once; the old one no longer works):\n".utf8))
            print(token)
        }
    }
}
