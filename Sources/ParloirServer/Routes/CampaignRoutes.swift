import Foundation
import HTTPTypes
import NIOCore
import Hummingbird
import ParloirCore

/// `POST /v1/campaigns`, `GET /v1/campaigns`, `POST /v1/campaigns/{id}/prompts`,
/// `GET /v1/campaigns/{id}/report` and `GET /v1/campaigns/{id}/export` (admin).
struct CampaignRoutes {
    let store: any ParloirStore

    func register(on group: RouterGroup<ParloirContext>) {
        group.post("campaigns") { request, context in try await create(request, context) }
        group.post("campaigns/:campaign/prompts") { request, context in try await importPrompts(request, context) }
        group.get("campaigns") { _, context in try await list(context) }
        group.post("campaigns/:campaign/state") { request, context in try await setState(request, context) }
        group.get("campaigns/:campaign/report") { _, context in try await report(context) }
        group.get("campaigns/:campaign/export") { _, context in try await export(context) }
    }

    /// What `parloir export --server` needs: the campaign, its accepted takes, its report.
    func export(_ context: ParloirContext) async throws -> Response {
        _ = try context.member(.admin)
        let campaign = try await store.existingCampaign(id: try context.parameters.require("campaign"))
        return JSONResponse.make(body: try ExportBundle.encoder.encode(try await store.exportBundle(of: campaign)), status: .ok)
    }

    func list(_ context: ParloirContext) async throws -> Response {
        _ = try context.member(.admin)
        struct ListBody: Encodable { let campaigns: [CampaignBody] }
        let states = try await store.campaignStates()
        return try JSONResponse.make(ListBody(campaigns: try await store.campaigns().map { CampaignBody($0, state: states[$0.id] ?? .open) }))
    }

    struct StateBody: Decodable { let state: String }

    /// `POST /v1/campaigns/{id}/state` (admin): pause a campaign (no new assignment; takes on
    /// assignments under way are still accepted), open it again, or close it for good.
    func setState(_ request: Request, _ context: ParloirContext) async throws -> Response {
        _ = try context.member(.admin)
        let campaign = try await store.existingCampaign(id: try context.parameters.require("campaign"))
        let body = try await RequestBodies.json(StateBody.self, request)
        let state: CampaignState = try RequestBodies.choice(body.state, field: "state")
        try await store.setCampaignState(id: campaign.id, state: state)
        return try JSONResponse.make(CampaignBody(campaign, state: state))
    }

    /// Totals, quota fill, verification, noise and per-worker figures (see `CampaignReport`).
    func report(_ context: ParloirContext) async throws -> Response {
        _ = try context.member(.admin)
        let campaign = try await store.existingCampaign(id: try context.parameters.require("campaign"))
        return JSONResponse.make(body: try CampaignReport.encoder.encode(try await store.report(of: campaign)), status: .ok)
    }

    struct CampaignBody: Encodable {
        let id: String
        let name: String
        let language: String
        let purpose: String
        let speakersPerPrompt: Int
        let pieceRateCents: Int
        let assignmentMinutes: Int
        let dimensions: [String]
        let createdAt: Date
        let state: CampaignState

        enum CodingKeys: String, CodingKey {
            case id, name, language, purpose, dimensions, state
            case speakersPerPrompt = "speakers_per_prompt"
            case pieceRateCents = "piece_rate_cents"
            case assignmentMinutes = "assignment_minutes"
            case createdAt = "created_at"
        }

        init(_ campaign: Campaign, state: CampaignState = .open) {
            self.state = state
            id = campaign.id
            name = campaign.spec.name
            language = campaign.spec.language
            purpose = campaign.spec.purpose
            speakersPerPrompt = campaign.spec.speakersPerPrompt
            pieceRateCents = campaign.spec.pieceRateCents
            assignmentMinutes = campaign.spec.assignmentMinutes
            dimensions = campaign.spec.dimensions.keys.sorted()
            createdAt = campaign.createdAt
        }
    }

    func create(_ request: Request, _ context: ParloirContext) async throws -> Response {
        _ = try context.member(.admin)
        let text = try await RequestBodies.text(request, limit: 1 << 20)
        let spec = try CampaignSpec.parse(text)
        let campaign = try await store.createCampaign(id: Identifiers.make("cmp"), spec: spec, now: Date())
        return try JSONResponse.make(CampaignBody(campaign), status: .created)
    }

    struct ImportBody: Encodable {
        let imported: Int
        let rejected: [PromptRejection]
        /// What the team should know of the campaign as it now stands (a per-speaker cap that
        /// lets each worker record only a few takes).
        let warnings: [String]
    }

    /// One prompt in a JSON import: a sentence, or `{"text", "domain"}`.
    struct JSONPrompt: Decodable {
        let text: String
        let domain: String?

        enum CodingKeys: String, CodingKey { case text, domain }

        init(from decoder: any Decoder) throws {
            if let sentence = try? decoder.singleValueContainer().decode(String.self) {
                text = sentence
                domain = nil
                return
            }
            let object = try decoder.container(keyedBy: CodingKeys.self)
            text = try object.decode(String.self, forKey: .text)
            domain = try object.decodeIfPresent(String.self, forKey: .domain)
        }
    }

    /// A JSON import: an array of prompts, or `{"prompts": [...]}`.
    struct JSONPrompts: Decodable {
        let prompts: [JSONPrompt]

        enum CodingKeys: String, CodingKey { case prompts }

        init(from decoder: any Decoder) throws {
            if var list = try? decoder.unkeyedContainer() {
                var prompts: [JSONPrompt] = []
                while !list.isAtEnd { prompts.append(try list.decode(JSONPrompt.self)) }
                self.prompts = prompts
            } else if let object = try? decoder.container(keyedBy: CodingKeys.self) {
                prompts = try object.decode([JSONPrompt].self, forKey: .prompts)
            } else {
                throw DecodingError.typeMismatch([JSONPrompt].self, .init(codingPath: [], debugDescription: "prompts are a JSON array"))
            }
        }
    }

    func importPrompts(_ request: Request, _ context: ParloirContext) async throws -> Response {
        _ = try context.member(.admin)
        let campaignID = try context.parameters.require("campaign")
        let campaign = try await store.existingCampaign(id: campaignID)
        let type = request.headers[.contentType]?.lowercased() ?? ""
        let text = try await RequestBodies.text(request, limit: 8 << 20)
        guard !text.isEmpty else { throw ParloirError.badRequest("the body is empty: send the prompts", code: "empty_body") }
        let candidates: [PromptCandidate]
        if type.hasPrefix("application/json") {
            candidates = try Self.decodeJSONPrompts(text)
        } else if type.hasPrefix("text/plain") || type.isEmpty {
            candidates = PromptValidator.parsePlainText(text)
        } else {
            throw ParloirError.unsupportedMediaType(type, accepted: ["text/plain", "application/json"])
        }
        let (imported, rejected, total) = try await store.importPrompts(candidates, campaignID: campaignID)
        let plan = QuotaPlan(spec: campaign.spec, promptCount: total)
        return try JSONResponse.make(ImportBody(imported: imported, rejected: rejected, warnings: plan.speakerCapWarning.map { [$0] } ?? []))
    }

    /// JSON prompts: an array of strings, an array of `{text, domain}`, or `{"prompts": [...]}`.
    static func decodeJSONPrompts(_ text: String) throws -> [PromptCandidate] {
        try RequestBodies.decode(JSONPrompts.self, from: Data(text.utf8)).prompts.enumerated().map {
            PromptCandidate(line: $0.offset + 1, text: $0.element.text, domain: $0.element.domain)
        }
    }
}
