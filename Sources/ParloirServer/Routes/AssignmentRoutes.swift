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
