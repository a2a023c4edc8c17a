import AudioQC
import Foundation
import HTTPTypes
import NIOCore
import Hummingbird
import ParloirCore

/// `POST /v1/campaigns/{id}/assignments` (worker): the next prompt to record. The worker may
/// declare the noise condition they are about to record in (`X-Noise-Condition`), which puts
/// the assignment in that noise cell; a full cell or the per-speaker cap answers 409.
struct AssignmentRoutes {
    let store: any ParloirStore
    let campaignLimits: CampaignRateLimit

    func register(on group: RouterGroup<ParloirContext>) {
        group.post("campaigns/:campaign/assignments") { request, context in try await assign(request, context) }
        group.post("assignments/:assignment/skip") { request, context in try await setAside(request, context) }
        group.get("campaigns/:campaign/prompt-reports") { _, context in try await promptReports(context) }
    }

    struct SetAsideBody: Decodable {
        let reason: String
        let comment: String?
    }

    /// `POST /v1/assignments/{id}/skip` (its worker): the worker skips the prompt or reports it
    /// (offensive, unreadable, not French); it leaves their rotation and is counted for the admin.
    func setAside(_ request: Request, _ context: ParloirContext) async throws -> Response {
        let worker = try context.member(.worker)
        let assignmentID = try context.parameters.require("assignment")
        let body = try await RequestBodies.json(SetAsideBody.self, request)
        let reason: PromptSetAside = try RequestBodies.choice(body.reason, field: "reason")
        if let comment = body.comment, comment.unicodeScalars.count > 500 {
            throw ParloirError.badRequest("\"comment\" is longer than 500 characters", code: "malformed_json")
        }
        if let assignment = try await store.assignment(id: assignmentID), assignment.workerID != worker.id {
            throw ParloirError(status: 403, code: "not_your_assignment", message: "this assignment belongs to another worker")
        }
        let assignment = try await store.setAside(assignmentID: assignmentID, workerID: worker.id, reason: reason,
                                                  comment: body.comment, now: Date())
        return JSONResponse.make(.object([
            ("assignment_id", .string(assignment.id)), ("prompt_id", .int(Int(assignment.promptID))),
            ("reason", .string(reason.rawValue)), ("state", .string(assignment.state.rawValue)),
            ("message_fr", .string(reason.isReport ? "Merci de votre signalement : cette phrase ne vous sera plus proposée et l'équipe la relira."
                                                   : "Phrase passée : elle ne vous sera plus proposée.")),
        ]))
    }

    /// `GET /v1/campaigns/{id}/prompt-reports` (admin): prompts workers skipped or reported, most reported first.
    func promptReports(_ context: ParloirContext) async throws -> Response {
        _ = try context.member(.admin)
        let campaign = try await store.existingCampaign(id: try context.parameters.require("campaign"))
        let counts = try await store.promptsSetAside(campaignID: campaign.id)
        return JSONResponse.make(.object([
            ("campaign_id", .string(campaign.id)),
            ("prompts", .array(counts.map { count in
                .object([
                    ("prompt_id", .int(Int(count.promptID))), ("text", .string(count.text)), ("reports", .int(count.reports)),
                    ("counts", .object(PromptSetAside.allCases.map { ($0.rawValue, .int(count.counts[$0] ?? 0)) })),
                ])
            })),
        ]))
    }

    struct AssignmentBody: Encodable {
        struct Prompt: Encodable {
            let id: Int64
            let text: String
        }
        let assignmentId: String
        let prompt: Prompt
        let purpose: String
        let expiresAt: Date
        let takesLeft: Int
        let pieceRateCents: Int

        enum CodingKeys: String, CodingKey {
            case prompt, purpose
            case assignmentId = "assignment_id"
            case expiresAt = "expires_at"
            case takesLeft = "takes_left"
            case pieceRateCents = "piece_rate_cents"
        }
    }

    func assign(_ request: Request, _ context: ParloirContext) async throws -> Response {
        let worker = try context.member(.worker)
        let noise = try RecordingRoutes.declaredNoise(request)
        let campaignID = try context.parameters.require("campaign")
        let campaign = try await store.existingCampaign(id: campaignID)
        try campaignLimits.charge(.assignment, campaign: campaign, worker: worker)
        guard worker.profile.consentAt != nil else {
            throw ParloirError(status: 403, code: "consent_required", message: "the worker has not consented to the campaign's terms (profile consent_at)")
        }
        guard let (assignment, created) = try await store.assign(AssignmentGate(campaign: campaign, worker: worker, noise: noise), now: Date(), id: Identifiers.make("asg")) else {
            throw ParloirError.conflict("no_prompt_available", "every prompt of this campaign has its speakers, or this worker has recorded them all")
        }
        let body = AssignmentBody(
            assignmentId: assignment.id, prompt: .init(id: assignment.promptID, text: assignment.promptText),
            purpose: campaign.spec.purpose, expiresAt: assignment.expiresAt,
            takesLeft: Assignment.maxTakes - assignment.takes, pieceRateCents: campaign.spec.pieceRateCents
        )
        return try JSONResponse.make(body, status: created ? .created : .ok)
    }
}
