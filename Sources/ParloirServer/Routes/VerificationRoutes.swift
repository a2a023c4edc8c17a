import AudioQC
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
/// - `GET /v1/verification/tasks/{id}/peaks?buckets=N` (the lease holder): the waveform's outline.
/// - `POST /v1/verification/normalize` (verifier): `{text}` as scoring normalises it.
/// - `POST /v1/verification/tasks/{id}/result` (the lease holder): `{verdict, transcript, tags, unusable_reason}`.
/// - `POST /v1/verification/tasks/{id}/release` (the lease holder): back to the queue, unanswered.
/// - `POST /v1/recordings/{id}/appeal` (its worker): `{comment?}`, within 14 days, once.
/// - `GET /v1/campaigns/{id}/quality` (admin): estimated rate of wrong transcripts with its interval.
struct VerificationRoutes {
    let store: any ParloirStore
    let blobs: any BlobStore
    /// Where waveforms are decoded.
    let analysis: AnalysisPool
    var lease: TimeInterval = 600

    func register(on group: RouterGroup<ParloirContext>) {
        group.post("recordings/:recording/asr") { request, context in try await transcript(request, context) }
        group.post("verification/claim") { _, context in try await claim(context) }
        group.get("verification/tasks/:task/audio") { request, context in try await audio(request, context) }
        group.get("verification/tasks/:task/peaks") { request, context in try await peaks(request, context) }
        group.post("verification/normalize") { request, context in try await normalize(request, context) }
        group.post("verification/tasks/:task/result") { request, context in try await result(request, context) }
        group.post("verification/tasks/:task/release") { _, context in try await release(context) }
        group.post("recordings/:recording/appeal") { request, context in try await appeal(request, context) }
        group.get("campaigns/:campaign/quality") { _, context in try await quality(context) }
        group.post("verification/gold") { request, context in try await gold(request, context) }
        group.get("verification/verifiers") { _, context in try await verifiers(context) }
    }

    struct GoldBody: Decodable {
        let recordingId: String
        let verdict: String
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
        let verdict: VerifierVerdict = try RequestBodies.choice(body.verdict, field: "verdict")
        let answer = VerifierResult(verdict: verdict, transcript: body.transcript, unusableReason: verdict == .unusable ? "gold" : nil)
        try answer.validate()
        try await store.setGold(recordingID: body.recordingId, answer: answer)
        return JSONResponse.make(.fields(["recording_id": .string(body.recordingId), "gold": .bool(true)]), status: .created)
    }

    /// `GET /v1/verification/verifiers` (admin): each verifier's gold score and double-review agreement.
    func verifiers(_ context: ParloirContext) async throws -> Response {
        _ = try context.member(.admin)
        let statistics = try await store.verifierStatistics()
        func number(_ value: Double?) -> OrderedJSON { value.map { .double($0) } ?? .null }
        let rows: [OrderedJSON] = statistics.map { stats in
            .fields([
                "verifier_id": .string(stats.verifierID), "reviews": .int(stats.reviews),
                "gold_items": .int(stats.goldItems),
                "gold_accuracy": stats.goldItems > 0 ? .double(Double(stats.goldVerdictsRight) / Double(stats.goldItems)) : .null,
                "gold_mean_wer": number(stats.goldMeanWER),
                "double_reviews": .int(stats.doubleReviews),
                "double_agreement": stats.doubleReviews > 0 ? .double(Double(stats.doubleAgreements) / Double(stats.doubleReviews)) : .null,
                "double_mean_wer": number(stats.doubleMeanWER),
            ])
        }
        return JSONResponse.make(.fields(["verifiers": .array(rows)]))
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
        guard (1...100).contains(body.engine.unicodeScalars.count) else {
            throw ParloirError.badRequest("\"engine\" must be 1 to 100 characters", code: "malformed_json")
        }
        guard let recording = try await store.recording(id: recordingID) else { throw ParloirError.notFound("recording \(recordingID)") }
        let (wer, queued) = try await TranscriptIntake(store: store).record(recording, engine: body.engine, text: body.text, confidence: body.confidence)
        return JSONResponse.make(.fields(["recording_id": .string(recordingID), "engine": .string(body.engine), "wer": .double(wer),
                                      "queued": .array(queued.map { .string($0.rawValue) })]), status: .created)
    }

    /// The verifier, or 401/403 in words for the verification page: it signs in with a
    /// verifier's token, not with a worker's invite link.
    func verifier(_ context: ParloirContext) throws -> Member {
        do {
            return try context.member(.verifier)
        } catch let error as ParloirError where error.code != BearerTokenAuthenticator.disabled.code {
            // A disabled token keeps its own words: it is a verifier's, and an admin switched it off.
            let french = error.status == 401
                ? "Vous n'êtes pas connecté, ou votre session a expiré. Connectez-vous avec votre jeton de vérificateur."
                : "Ce jeton n'est pas celui d'un vérificateur : il ne permet pas de vérifier des enregistrements."
            throw ParloirError(status: error.status, code: error.code, message: error.message, details: ["message_fr": french])
        }
    }

    func claim(_ context: ParloirContext) async throws -> Response {
        let verifier = try verifier(context)
        guard let task = try await store.claimTask(verifierID: verifier.id, now: Date(), lease: lease, taskID: Identifiers.make("tsk")) else {
            return Response(status: .noContent)
        }
        let alignment = task.asrText.map { ErrorRates(reference: task.promptText, hypothesis: $0).words }
        var evidence = OrderedJSON.null
        if task.kind == .appeal { evidence = try await appealEvidence(recordingID: task.recordingID) }
        let body = OrderedJSON.fields([
            "task_id": .string(task.taskID), "kind": .string(task.kind.rawValue), "prompt_text": .string(task.promptText),
            "asr_text": .string(task.asrText), "diff": .string(alignment.map(WordDiff.render)),
            "words": alignment.map { .array($0.operations.map(Self.word)) } ?? .null,
            "audio_url": .string("/v1/verification/tasks/\(task.taskID)/audio"),
            "peaks_url": .string("/v1/verification/tasks/\(task.taskID)/peaks"),
            "lease_expires_at": .string(ISO8601DateFormatter().string(from: task.leaseExpiresAt)),
            "appeal": evidence,
        ])
        return JSONResponse.make(body)
    }

    /// What a verifier hearing an appeal judges on: the worker's comment and the automatic
    /// rejection's reasons and metrics, as the DSP core reported them (never who recorded it).
    func appealEvidence(recordingID: String) async throws -> OrderedJSON {
        guard let recording = try await store.recording(id: recordingID) else { throw VerificationError.recordingNotFound(recordingID) }
        let appeal = try await store.appeal(recordingID: recordingID)
        return .object([
            ("comment", .string(appeal?.comment)),
            ("verdict", .string(recording.report.verdict.rawValue)),
            ("reasons", .array(recording.report.reasons.map(\.orderedJSON))),
            ("metrics", recording.report.metrics.orderedJSON),
        ])
    }

    /// One step of the prompt-to-ASR alignment as the page draws it: `ref` is the prompt's word,
    /// `hyp` the ASR's (null on the side that has none).
    static func word(_ operation: EditOperation) -> OrderedJSON {
        let (op, reference, hypothesis): (String, String?, String?) = switch operation {
        case .hit(let word): ("equal", word, word)
        case .substitution(let reference, let hypothesis): ("substitute", reference, hypothesis)
        case .deletion(let word): ("delete", word, nil)
        case .insertion(let word): ("insert", nil, word)
        }
        return .fields(["op": .string(op), "ref": .string(reference), "hyp": .string(hypothesis)])
    }

    /// The leased take's audio, or the part of it a `Range` asks for (the page's player seeks with those).
    func audio(_ request: Request, _ context: ParloirContext) async throws -> Response {
        let verifier = try verifier(context)
        let recording = try await store.leasedRecording(taskID: try context.parameters.require("task"), verifierID: verifier.id, now: Date())
        return try await BlobResponse.make(blobs, sha256: recording.sha256, contentType: recording.contentType, recordingID: recording.id,
                                           range: request.headers[.range])
    }

    /// Buckets a waveform is drawn with unless the page asks otherwise, and the most it may ask.
    static let defaultBuckets = 800
    static let bucketRange = 1...4000

    /// `GET /v1/verification/tasks/{id}/peaks?buckets=N`: the take's waveform as `buckets`
    /// spans of min/max (full scale 1.0, three decimals), with its duration and sample rate.
    func peaks(_ request: Request, _ context: ParloirContext) async throws -> Response {
        let verifier = try verifier(context)
        let buckets = try Self.buckets(request.uri.queryParameters.get("buckets"))
        let recording = try await store.leasedRecording(taskID: try context.parameters.require("task"), verifierID: verifier.id, now: Date())
        let peaks = try await TakeWaveform(blobs: blobs, analysis: analysis).peaks(of: recording, buckets: buckets)
        func rounded(_ values: [Float]) -> OrderedJSON {
            .array(values.map { .double((Double($0) * 1000).rounded() / 1000) })
        }
        return JSONResponse.make(.fields([
            "duration_s": .double((peaks.durationS * 1000).rounded() / 1000), "sample_rate": .int(peaks.sampleRate),
            "buckets": .int(buckets), "min": rounded(peaks.minimum), "max": rounded(peaks.maximum),
        ]))
    }

    /// The `buckets` query parameter: absent is the default, anything but a whole number in range a 400.
    static func buckets(_ value: String?) throws -> Int {
        guard let value else { return defaultBuckets }
        guard let count = Int(value), bucketRange.contains(count) else {
            throw ParloirError(status: 400, code: "invalid_buckets",
                               message: "\"buckets\" must be a whole number from \(bucketRange.lowerBound) to \(bucketRange.upperBound)",
                               details: ["message_fr": "La forme d'onde demandée n'est pas valable : entre \(bucketRange.lowerBound) et \(bucketRange.upperBound) barres."])
        }
        return count
    }

    struct NormalizeBody: Decodable { let text: String }

    /// Longest text normalised, in Unicode scalars (a sentence read aloud is far shorter), and
    /// the largest body that may carry it (escapes included).
    static let normalizeLimit = 2000
    static let normalizeBodyLimit = 64 << 10

    /// `POST /v1/verification/normalize`: `{text}` → `{normalized}`, as scoring normalises transcripts.
    func normalize(_ request: Request, _ context: ParloirContext) async throws -> Response {
        _ = try verifier(context)
        let body: NormalizeBody
        do {
            body = try await RequestBodies.json(NormalizeBody.self, request, limit: Self.normalizeBodyLimit)
        } catch let error as ParloirError where error.status == 400 || error.status == 413 {
            throw ParloirError(status: error.status, code: error.code, message: error.message,
                               details: ["message_fr": "Le texte n'a pas pu être normalisé : la demande est mal formée ou trop longue."])
        }
        guard body.text.unicodeScalars.count <= Self.normalizeLimit else {
            throw ParloirError(status: 400, code: "text_too_long", message: "\"text\" is longer than \(Self.normalizeLimit) characters",
                               details: ["message_fr": "La transcription est trop longue : \(Self.normalizeLimit) caractères au plus."])
        }
        return JSONResponse.make(.fields(["normalized": .string(FrenchNormalizer.normalize(body.text))]))
    }

    func result(_ request: Request, _ context: ParloirContext) async throws -> Response {
        let verifier = try verifier(context)
        let taskID = try context.parameters.require("task")
        let body = try await RequestBodies.json(ResultBody.self, request)
        let result = VerifierResult(verdict: try RequestBodies.choice(body.verdict, field: "verdict"), transcript: body.transcript,
                                    tags: body.tags ?? [], unusableReason: body.unusableReason)
        try result.validate()
        let outcome = try await store.submitResult(taskID: taskID, verifierID: verifier.id, result: result, now: Date())
        return JSONResponse.make(.fields(["task_id": .string(taskID), "recorded": .bool(true),
                                      "outcome": outcome.map { .string($0.rawValue) } ?? .null]))
    }

    func release(_ context: ParloirContext) async throws -> Response {
        let verifier = try verifier(context)
        let taskID = try context.parameters.require("task")
        try await store.releaseTask(taskID: taskID, verifierID: verifier.id, now: Date())
        return JSONResponse.make(.fields(["task_id": .string(taskID), "released": .bool(true)]))
    }

    /// A verifier's result as posted; the verdict is checked here, so that a wrong one is named.
    struct ResultBody: Decodable {
        let verdict: String
        let transcript: String?
        let tags: [String]?
        let unusableReason: String?
        enum CodingKeys: String, CodingKey {
            case verdict, transcript, tags
            case unusableReason = "unusable_reason"
        }
    }

    struct AppealBody: Decodable { let comment: String? }

    func appeal(_ request: Request, _ context: ParloirContext) async throws -> Response {
        let worker = try context.member(.worker)
        let recordingID = try context.parameters.require("recording")
        let data = try await RequestBodies.data(request, limit: RequestBodies.jsonLimit)
        let comment = data.isEmpty ? nil : try RequestBodies.decode(AppealBody.self, from: data).comment
        if let comment, comment.unicodeScalars.count > 2000 {
            throw ParloirError.badRequest("\"comment\" is longer than 2000 characters", code: "malformed_json")
        }
        let appeal = try await store.createAppeal(recordingID: recordingID, workerID: worker.id, comment: comment, now: Date(), taskID: Identifiers.make("tsk"))
        return JSONResponse.make(.fields(["recording_id": .string(appeal.recordingID), "state": .string(appeal.state.rawValue),
                                      "comment": .string(appeal.comment),
                                      "message_fr": .string(FrenchMessages.appeal(appeal.state, reason: appeal.reason))]), status: .created)
    }

    func quality(_ context: ParloirContext) async throws -> Response {
        _ = try context.member(.admin)
        let campaignID = try context.parameters.require("campaign")
        _ = try await store.existingCampaign(id: campaignID)
        let inputs = try await store.qualityInputs(campaignID: campaignID)
        let estimate = QualityEstimate(observations: inputs.observations, accepted: inputs.accepted, certain: inputs.certain)
        var body: [(String, OrderedJSON)] = [
            ("campaign_id", .string(campaignID)), ("accepted", .int(inputs.accepted)), ("verified", .int(inputs.observations.count)),
            ("double_reviews", .int(inputs.agreement.pairs)), ("verdict_agreement", inputs.agreement.pairs > 0
                ? .double(Double(inputs.agreement.agreeing) / Double(inputs.agreement.pairs)) : .null),
            ("double_review_wer", (try await store.doubleReviewWER(campaignID: campaignID)).map { .double($0) } ?? .null),
            ("sampled_without_asr", .int(try await store.takesSampledWithoutASR(campaignID: campaignID))),
        ]
        if let estimate {
            body.append(("error_rate", .double(estimate.rate)))
            body.append(("interval_95", .array([.double(estimate.lower), .double(estimate.upper)])))
        }
        return JSONResponse.make(.object(body))
    }
}
