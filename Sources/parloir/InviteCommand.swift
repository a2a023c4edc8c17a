import ArgumentParser
import Foundation
import ParloirClient
import ParloirCore

struct InviteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invite", abstract: "Make, list and revoke the invite links through which workers join a campaign.",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make an invite link for a campaign and print it (the code is shown once).",
            discussion: """
                Whoever opens the link reads the campaign's purpose and terms in French, consents, declares their \
                profile and becomes a pseudonymous worker. For a crowd platform, --participant-param names the query \
                parameter it appends with its participant id (kept only as a keyed hash: one participant joins once). \
                Example: parloir invite create --campaign assistant-maison --uses 200 --expires 14d --participant-param PROLIFIC_PID
                """
        )
        @OptionGroup var service: ServiceOptions
        @Option(name: .long, help: "The campaign's name or id.") var campaign: String
        @Option(name: .long, help: "How many workers may join through it (no limit by default).") var uses: Int?
        @Option(name: .long, help: ArgumentHelp("When it stops working: a duration (12h, 14d) or a date (2026-12-31T23:59:00Z).", valueName: "WHEN"))
        var expires: String?
        @Option(name: .long, help: ArgumentHelp("Query parameter carrying a crowd platform's participant id.", valueName: "NAME"))
        var participantParam: String?
        @Option(name: .long, help: ArgumentHelp("The address workers open, if not --server (the public URL behind a proxy).", valueName: "URL"))
        var publicURL: String?
        @Flag(name: .long, help: "Print the service's JSON answer instead of the link.") var json = false

        func validate() throws {
            if let uses, uses < 1 { throw ValidationError("--uses must be at least 1") }
            if let expires, Self.expiry(expires, now: Date()) == nil {
                throw ValidationError("--expires must be a duration such as 12h or 14d, or a date such as 2026-12-31T23:59:00Z")
            }
        }

        /// `12h`, `14d`, `90m` from `now`, or an ISO 8601 date.
        static func expiry(_ text: String, now: Date) -> Date? {
            if let date = ISO8601DateFormatter().date(from: text) { return date }
            guard let unit = text.last, let amount = Double(text.dropLast()), amount > 0 else { return nil }
            switch unit {
            case "m": return now.addingTimeInterval(amount * 60)
            case "h": return now.addingTimeInterval(amount * 3600)
            case "d": return now.addingTimeInterval(amount * 86_400)
            default: return nil
            }
        }

        func run() async throws {
            let client = try service.client()
            let campaignID = try await resolveCampaign(campaign, client: client)
            var body: [String: Any] = [:]
            if let uses { body["uses"] = uses }
            if let expires, let date = Self.expiry(expires, now: Date()) { body["expires_at"] = ISO8601DateFormatter().string(from: date) }
            if let participantParam { body["participant_param"] = participantParam }
            let answer = try await request(client, "POST", "/v1/campaigns/\(campaignID)/invites",
                                           body: try JSONSerialization.data(withJSONObject: body), contentType: "application/json")
            if json {
                print(String(decoding: answer, as: UTF8.self))
                return
            }
            guard let made = try JSONSerialization.jsonObject(with: answer) as? [String: Any], let path = made["path"] as? String else {
                throw CommandLineFailure.refused("the service's answer has no link")
            }
            var base = try serverURL(publicURL ?? service.server).absoluteString
            while base.hasSuffix("/") { base.removeLast() }
            var link = base + path
            if let participantParam {
                // The platform appends its id as a query parameter; shown as it will look.
                link = base + "/?\(participantParam)={{%\(participantParam)%}}" + path.dropFirst()
            }
            print(link)
            let limits = [uses.map { "\($0) uses" }, (made["expires_at"] as? String).map { "expires \($0)" }].compactMap { $0 }
            FileHandle.standardError.write(Data("invite \(made["id"] as? String ?? "") for campaign \(campaignID)\(limits.isEmpty ? "" : ": " + limits.joined(separator: ", "))\n".utf8))
        }
    }
}

extension InviteCommand {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List a campaign's invites, newest first: id, state, uses, expiry, participant parameter.",
            discussion: "Codes are kept only as hashes: a lost link cannot be shown again; make another and revoke the lost one."
        )
        @OptionGroup var service: ServiceOptions
        @Option(name: .long, help: "The campaign's name or id.") var campaign: String
        @Flag(name: .long, help: "Print JSON (for scripts).") var json = false

        func run() async throws {
            let client = try service.client()
            let id = try await resolveCampaign(campaign, client: client)
            let data = try await request(client, "GET", "/v1/campaigns/\(id)/invites")
            guard let invites = (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["invites"] as? [[String: Any]] else {
                throw CommandLineFailure.refused("the service's answer is not a list of invites")
            }
            if json { return try printJSON("invites", invites) }
            if invites.isEmpty {
                print("\(campaign) has no invite yet: parloir invite create --campaign \(campaign)")
                return
            }
            var rows = [["id", "state", "used", "expires", "participant", "created"]]
            for invite in invites {
                let used = String(invite["used"] as? Int ?? 0) + ((invite["uses"] as? Int).map { " of \($0)" } ?? "")
                rows.append([invite["id"] as? String ?? "", invite["state"] as? String ?? "", used, invite["expires_at"] as? String ?? "never",
                             invite["participant_param"] as? String ?? "-", invite["created_at"] as? String ?? ""])
            }
            print(table(rows))
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke an invite: nobody joins through it any more; workers who joined stay.",
            discussion: "Example: parloir invite revoke --campaign assistant-maison inv-3f9c1a7b2d4e5f60"
        )
        @OptionGroup var service: ServiceOptions
        @Option(name: .long, help: "The campaign's name or id.") var campaign: String
        @Argument(help: ArgumentHelp("The invite's id (parloir invite list shows them).", valueName: "ID")) var id: String

        func validate() throws { try validateID(id, what: "an invite id", example: "inv-3f9c1a7b2d4e5f60") }

        func run() async throws {
            let client = try service.client()
            let campaignID = try await resolveCampaign(campaign, client: client)
            let data = try await request(client, "DELETE", "/v1/campaigns/\(campaignID)/invites/\(id)")
            let used = (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["used"] as? Int ?? 0
            print("invite \(id) is revoked (\(used) worker\(used == 1 ? "" : "s") joined through it, and stay)")
        }
    }
}

/// The id of the campaign named `nameOrID` (a campaign id is taken as it is).
func resolveCampaign(_ nameOrID: String, client: AdminClient) async throws -> String {
    struct Listed: Decodable {
        struct Campaign: Decodable { let id: String; let name: String }
        let campaigns: [Campaign]
    }
    let data = try await request(client, "GET", "/v1/campaigns")
    let campaigns = (try? JSONDecoder().decode(Listed.self, from: data).campaigns) ?? []
    if let found = campaigns.first(where: { $0.id == nameOrID }) ?? campaigns.first(where: { $0.name == nameOrID }) { return found.id }
    let known = campaigns.map(\.name).joined(separator: ", ")
    throw CommandLineFailure.badArgument("no campaign is named or numbered \"\(nameOrID)\"" + (known.isEmpty ? "" : "; campaigns: \(known)"))
}
