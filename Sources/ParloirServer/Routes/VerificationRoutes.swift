import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ParloirCore
import ParloirStore
import Transcripts

/// ASR transcripts in, the verifier queue, verifiers' results, appeals, and the quality estimate.
///
/// - `POST /v1/recordings/{id}/asr` (asr): `{engine, text, confidence?}`; the first transcript of
///   an accepted recording triggers the sampling decision.
/// - `POST /v1/verification/claim` (verifier): the next task, leased for ten minutes, or 204.
/// - `GET /v1/verification/tasks/{id}/audio` (the lease holder).
/// - `POST /v1/verification/tasks/{id}/result` (the lease holder): `{verdict, transcript, tags, unusable_reason}`.
/// - `POST /v1/recordings/{id}/appeal` (its worker): `{comment?}`, within 14 days, once.
/// - `GET /v1/campaigns/{id}/quality` (admin): estimated rate of wrong transcripts with its interval.
struct VerificationRoutes {
    let store: any VerificationStore
    let blobs: BlobStore
    /// Share of sampled recordings that a second verifier reviews too.
    var doubleReviewRate = 0.10
    var lease: TimeInterval = 600

    func register(on group: RouterGroup<ParloirContext>) {
        group.post("recordings/:recording/asr") { request, context in try await transcript(request, context) }
        group.post("verification/claim") { _, context in try await claim(context) }
        group.get("verification/tasks/:task/audio") { _, context in try await audio(context) }
        group.post("verification/tasks/:task/result") { request, context in try await result(request, context) }
        group.post("recordings/:recording/appeal") { request, context in try await appeal(request, context) }
        group.get("campaigns/:campaign/quality") { _, context in try await quality(context) }
        group.post("verification/gold") { request, context in try await gold(request, context) }
        group.get("verification/verifiers") { _, context in try await verifiers(context) }
    }

    struct GoldBody: Decodable {
        let recordingId: String
        let verdict: VerifierVerdict
        let transcript: String?
        enum CodingKeys: String, CodingKey {
            case verdict, transcript
            case recordingId = "recording_id"
        }
    }

    /// `POST /v1/verification/gold` (admin): a recording with its known answer, mixed into 5 % of claims.
    func gold(_ request: Request, _ context: ParloirContext) async throws -> Response {
        _ = try context.member(.admin)
        let body = try await RequestBodies.json(GoldBody.self, request)
        let answer = VerifierResult(verdict: body.verdict, transcript: body.transcript, unusableReason: body.verdict == .unusable ? "gold" : nil)
        try answer.validate()
        try await store.setGold(recordingID: body.recordingId, answer: answer)
        return try JSONResponse.make(["recording_id": .string(body.recordingId), "gold": .bool(true)] as OrderedBody, status: .created)
    }

    /// `GET /v1/verification/verifiers` (admin): each verifier's gold score and double-review agreement.
    func verifiers(_ context: ParloirContext) async throws -> Response {
        _ = try context.member(.admin)
        let statistics = try await store.verifierStatistics()
        func number(_ value: Double?) -> JSONValue { value.map { .double($0) } ?? .null }
        let rows: [JSONValue] = statistics.map { stats in
            .object([
                "verifier_id": .string(stats.verifierID), "reviews": .int(stats.reviews),
                "gold_items": .int(stats.goldItems),
                "gold_accuracy": stats.goldItems > 0 ? .double(Double(stats.goldVerdictsRight) / Double(stats.goldItems)) : .null,
                "gold_mean_wer": number(stats.goldMeanWER),
                "double_reviews": .int(stats.doubleReviews),
                "double_agreement": stats.doubleReviews > 0 ? .double(Double(stats.doubleAgreements) / Double(stats.doubleReviews)) : .null,
                "double_mean_wer": number(stats.doubleMeanWER),
            ])
        }
        return try JSONResponse.make(["verifiers": .array(rows)] as OrderedBody)
    }

    /// The campaign's sampling policy: the defaults, seeded by the campaign id.
    static func policy(campaignID: String) -> SamplingPolicy {
        var policy = SamplingPolicy()
        policy.seed = UInt64(bitPattern: Int64(truncatingIfNeeded: campaignID.utf8.reduce(5381) { ($0 &* 33) &+ Int($1) }))
        return policy
    }

    struct TranscriptBody: Decodable {
        let engine: String
        let text: String
        let confidence: Double?
    }

    func transcript(_ request: Request, _ context: ParloirContext) async throws -> Response {
        _ = try context.member(.asr, .admin)
        let recordingID = try context.parameters.require("recording")
        let body = try await RequestBodies.json(TranscriptBody.self, request)
        guard !body.engine.isEmpty, body.engine.count <= 100 else { throw ParloirError.badRequest("engine must be 1 to 100 characters", code: "malformed_json") }
        guard let recording = try await store.recording(id: recordingID),
              let prompt = try await store.promptText(id: recording.promptID) else { throw ParloirError.notFound("recording \(recordingID)") }
        let wer = ErrorRates(reference: prompt, hypothesis: body.text).wer
        let queued = try await store.saveTranscript(recordingID: recordingID, engine: body.engine, text: body.text, confidence: body.confidence,
                                                    wer: wer, policy: Self.policy(campaignID: recording.campaignID),
                                                    doubleReviewRate: doubleReviewRate, now: Date())
        return try JSONResponse.make(["recording_id": .string(recordingID), "engine": .string(body.engine), "wer": .double(wer),
                                      "queued": .array(queued.map { .string($0.rawValue) })] as OrderedBody, status: .created)
    }

    func claim(_ context: ParloirContext) async throws -> Response {
        let verifier = try context.member(.verifier)
        guard let task = try await store.claimTask(verifierID: verifier.id, now: Date(), lease: lease, taskID: Identifiers.make("tsk")) else {
            return Response(status: .noContent)
        }
        let diff = task.asrText.map { WordDiff.render(ErrorRates(reference: task.promptText, hypothesis: $0).words) }
        let body: OrderedBody = [
            "task_id": .string(task.taskID), "kind": .string(task.kind.rawValue), "prompt_text": .string(task.promptText),
            "asr_text": task.asrText.map { .string($0) } ?? .null, "diff": diff.map { .string($0) } ?? .null,
            "audio_url": .string("/v1/verification/tasks/\(task.taskID)/audio"),
            "lease_expires_at": .string(ISO8601DateFormatter().string(from: task.leaseExpiresAt)),
        ]
        return try JSONResponse.make(body)
    }

    func audio(_ context: ParloirContext) async throws -> Response {
        let verifier = try context.member(.verifier)
        let recording = try await store.leasedRecording(taskID: try context.parameters.require("task"), verifierID: verifier.id, now: Date())
        guard let data = FileManager.default.contents(atPath: blobs.path(of: recording.sha256)) else {
            throw ParloirError.internalError("the audio is missing from the blob folder")
        }
        return Response(status: .ok, headers: [.contentType: recording.contentType, .contentLength: String(data.count)],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    func result(_ request: Request, _ context: ParloirContext) async throws -> Response {
        let verifier = try context.member(.verifier)
        let taskID = try context.parameters.require("task")
        let result = try await RequestBodies.json(VerifierResult.self, request)
        try result.validate()
        let outcome = try await store.submitResult(taskID: taskID, verifierID: verifier.id, result: result, now: Date())
        return try JSONResponse.make(["task_id": .string(taskID), "recorded": .bool(true),
                                      "outcome": outcome.map { .string($0.rawValue) } ?? .null] as OrderedBody)
    }

    struct AppealBody: Decodable { let comment: String? }

    func appeal(_ request: Request, _ context: ParloirContext) async throws -> Response {
        let worker = try context.member(.worker)
        let recordingID = try context.parameters.require("recording")
        let data = try await RequestBodies.data(request, limit: 16 << 10)
        let comment = data.isEmpty ? nil : try JSONDecoder().decode(AppealBody.self, from: data).comment
        if let comment, comment.count > 2000 { throw ParloirError.badRequest("the comment is longer than 2000 characters") }
        let appeal = try await store.createAppeal(recordingID: recordingID, workerID: worker.id, comment: comment, now: Date(), taskID: Identifiers.make("tsk"))
        return try JSONResponse.make(["recording_id": .string(appeal.recordingID), "state": .string(appeal.state.rawValue),
                                      "comment": appeal.comment.map { .string($0) } ?? .null] as OrderedBody, status: .created)
    }

    func quality(_ context: ParloirContext) async throws -> Response {
        _ = try context.member(.admin)
        let campaignID = try context.parameters.require("campaign")
        guard try await store.campaign(id: campaignID) != nil else { throw ParloirError.notFound("campaign \(campaignID)") }
        let inputs = try await store.qualityInputs(campaignID: campaignID)
        let estimate = QualityEstimate(observations: inputs.observations, accepted: inputs.accepted, certain: inputs.certain)
        var body: OrderedBody = [
            "campaign_id": .string(campaignID), "accepted": .int(inputs.accepted), "verified": .int(inputs.observations.count),
            "double_reviews": .int(inputs.agreement.pairs), "verdict_agreement": inputs.agreement.pairs > 0
                ? .double(Double(inputs.agreement.agreeing) / Double(inputs.agreement.pairs)) : .null,
            "double_review_wer": (try await store.doubleReviewWER(campaignID: campaignID)).map { .double($0) } ?? .null,
        ]
        if let estimate {
            body["error_rate"] = .double(estimate.rate)
            body["interval_95"] = .array([.double(estimate.lower), .double(estimate.upper)])
        }
        return try JSONResponse.make(body)
    }
}

/// A JSON object body built from literal pairs.
typealias OrderedBody = [String: JSONValue]

/// JSON values for response bodies assembled by hand.
enum JSONValue: Encodable {
    case string(String), int(Int), double(Double), bool(Bool), array([JSONValue]), object([String: JSONValue]), null

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .array(let values): try container.encode(values)
        case .object(let members): try container.encode(members)
        case .null: try container.encodeNil()
        }
    }
}
