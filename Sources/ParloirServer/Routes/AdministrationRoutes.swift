import AudioQC
import Foundation
import Hummingbird
import ParloirCore

/// What the commissioning team manages day to day (admin): a campaign's prompts
/// (`GET /v1/campaigns/{id}/prompts`, `POST …/prompts/{prompt}/state`, `DELETE …/prompts/{prompt}`)
/// and the members (`GET /v1/members`, `POST /v1/members/{id}/state`, `POST /v1/members/{id}/token`).
struct AdministrationRoutes {
    let store: any ParloirStore
    /// The authenticator's members by token, forgotten here when a token is disabled or replaced
    /// (other replicas see it within the cache's lifetime, five seconds).
    let tokens: MemberCache

    func register(on group: RouterGroup<ParloirContext>) {
        group.get("campaigns/:campaign/prompts") { request, context in try await prompts(request, context) }
        group.post("campaigns/:campaign/prompts/:prompt/state") { request, context in try await setPromptState(request, context) }
        group.delete("campaigns/:campaign/prompts/:prompt") { _, context in try await deletePrompt(context) }
        group.get("members") { request, context in try await members(request, context) }
        group.post("members/:member/state") { request, context in try await setMemberState(request, context) }
        group.post("members/:member/token") { _, context in try await rotateToken(context) }
    }

    /// Rows a listing gives unless asked otherwise, and the most it gives at once.
    static let defaultLimit = 500
    static let limitRange = 1...5000

    /// The `limit` query parameter: absent is the default, anything but a whole number in range a 400.
    static func limit(_ value: String?) throws -> Int {
        guard let value else { return defaultLimit }
        guard let limit = Int(value), limitRange.contains(limit) else {
            throw ParloirError.badRequest("\"limit\" must be a whole number from \(limitRange.lowerBound) to \(limitRange.upperBound)", code: "invalid_query")
        }
        return limit
    }

    // MARK: Prompts

    /// The campaign's prompts in id order, a page at a time (`after` is the last id of the page
    /// before, `next_after` the one to ask with next, null on the last page), each with how often
    /// it was recorded, skipped and reported.
    func prompts(_ request: Request, _ context: ParloirContext) async throws -> Response {
        _ = try context.member(.admin)
        let campaign = try await store.existingCampaign(id: try context.parameters.require("campaign"))
        let query = request.uri.queryParameters
        let limit = try Self.limit(query.get("limit"))
        var after: Int64?
        if let value = query.get("after") {
            guard let id = Int64(value), id >= 0 else { throw ParloirError.badRequest("\"after\" must be a prompt id", code: "invalid_query") }
            after = id
        }
        let listings = try await store.promptListings(campaignID: campaign.id, after: after, limit: limit, now: Date())
        return JSONResponse.make(.object([
            ("campaign_id", .string(campaign.id)),
            ("prompts", .array(listings.map(Self.json))),
            ("next_after", listings.count == limit ? .int(Int(listings[listings.count - 1].id)) : .null),
        ]))
    }

    static func json(_ prompt: PromptListing) -> OrderedJSON {
        .object([
            ("id", .int(Int(prompt.id))), ("text", .string(prompt.text)), ("domain", .string(prompt.domain)),
            ("state", .string(prompt.disabledAt == nil ? "enabled" : "disabled")),
            ("disabled_at", prompt.disabledAt.map { .string(ISO8601DateFormatter().string(from: $0)) } ?? .null),
            ("takes", .int(prompt.takes)), ("accepted", .int(prompt.accepted)), ("speakers", .int(prompt.speakers)),
            ("skipped", .int(prompt.skipped)), ("reported", .int(prompt.reported)), ("open_assignments", .int(prompt.open)),
        ])
    }

    enum PromptState: String, CaseIterable {
        case enabled, disabled
    }

    struct StateBody: Decodable { let state: String }

    func promptID(_ context: ParloirContext) throws -> Int64 {
        guard let id = Int64(try context.parameters.require("prompt")), id > 0 else {
            throw ParloirError.notFound("prompt \(context.parameters.get("prompt") ?? "")")
        }
        return id
    }

    /// `POST /v1/campaigns/{id}/prompts/{prompt}/state` `{"state": "disabled"|"enabled"}`: a
    /// disabled prompt is given to nobody new; assignments on it under way keep going.
    func setPromptState(_ request: Request, _ context: ParloirContext) async throws -> Response {
        _ = try context.member(.admin)
        let campaign = try await store.existingCampaign(id: try context.parameters.require("campaign"))
        let prompt = try promptID(context)
        let body = try await RequestBodies.json(StateBody.self, request)
        let state: PromptState = try RequestBodies.choice(body.state, field: "state")
        let listing = try await store.setPromptDisabled(campaignID: campaign.id, promptID: prompt, at: state == .disabled ? Date() : nil, now: Date())
        return JSONResponse.make(Self.json(listing))
    }

    /// `DELETE /v1/campaigns/{id}/prompts/{prompt}`: only a prompt nobody recorded or holds (409
    /// `prompt_in_use` otherwise: disable it instead).
    func deletePrompt(_ context: ParloirContext) async throws -> Response {
        _ = try context.member(.admin)
        let campaign = try await store.existingCampaign(id: try context.parameters.require("campaign"))
        try await store.deletePrompt(campaignID: campaign.id, promptID: try promptID(context), now: Date())
        return Response(status: .noContent)
    }

    // MARK: Members

    /// Members in id order, of one `role` when asked, a page at a time (`after`, `next_after`),
    /// each with their profile, state and what they did. Never a token: only hashes are kept.
    func members(_ request: Request, _ context: ParloirContext) async throws -> Response {
        _ = try context.member(.admin)
        let query = request.uri.queryParameters
        let limit = try Self.limit(query.get("limit"))
        let role: Role? = try query.get("role").map { try RequestBodies.choice($0, field: "role") }
        let after = query.get("after")
        if let after, after.isEmpty || after.utf8.count > 64 { throw ParloirError.badRequest("\"after\" must be a member id", code: "invalid_query") }
        let listings = try await store.memberListings(role: role, after: after, limit: limit)
        let iso = ISO8601DateFormatter()
        return JSONResponse.make(.object([
            ("members", .array(listings.map { listing in
                let member = listing.member
                return .object([
                    ("id", .string(member.id)), ("role", .string(member.role.rawValue)),
                    ("state", .string(member.disabledAt == nil ? "active" : "disabled")),
                    ("disabled_at", member.disabledAt.map { .string(iso.string(from: $0)) } ?? .null),
                    ("created_at", .string(iso.string(from: member.createdAt))),
                    ("profile", MemberRoutes.json(member.profile)),
                    ("takes", .int(listing.takes)), ("accepted", .int(listing.accepted)), ("reviews", .int(listing.reviews)),
                    ("earnings_cents", .int(listing.earningsCents)),
                ])
            })),
            ("next_after", listings.count == limit ? .string(listings[listings.count - 1].member.id) : .null),
        ]))
    }

    enum MemberState: String, CaseIterable {
        case active, disabled
    }

    /// `POST /v1/members/{id}/state` `{"state": "disabled"|"active"}`: a disabled member's token
    /// opens nothing (403 `member_disabled`) until it is made active again; their takes, pay and
    /// reviews stay.
    func setMemberState(_ request: Request, _ context: ParloirContext) async throws -> Response {
        let admin = try context.member(.admin)
        let id = try context.parameters.require("member")
        let body = try await RequestBodies.json(StateBody.self, request)
        let state: MemberState = try RequestBodies.choice(body.state, field: "state")
        if state == .disabled && id == admin.id { throw AdministrationError.cannotDisableSelf }
        let at = state == .disabled ? Date() : nil
        guard try await store.setMemberDisabled(id: id, at: at) else { throw AdministrationError.memberNotFound(id) }
        tokens.forget(memberID: id)
        return JSONResponse.make(.object([("id", .string(id)), ("state", .string(state.rawValue))]))
    }

    /// `POST /v1/members/{id}/token`: a new token for the member, shown once; the old one stops
    /// working at once here and within five seconds on the other replicas.
    func rotateToken(_ context: ParloirContext) async throws -> Response {
        _ = try context.member(.admin)
        let id = try context.parameters.require("member")
        let token = Identifiers.token()
        guard try await store.replaceToken(memberID: id, tokenHash: TokenHash.of(token)) else { throw AdministrationError.memberNotFound(id) }
        tokens.forget(memberID: id)
        return JSONResponse.make(.object([("id", .string(id)), ("token", .string(token))]))
    }
}
