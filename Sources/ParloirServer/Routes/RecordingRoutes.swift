import AudioQC
import Crypto
import Foundation
import HTTPTypes
import NIOCore
import NIOPosix
import Hummingbird
import ParloirCore
import ParloirStore
import Transcripts

/// Uploads (`PUT /v1/assignments/{id}/recording`, the worker holding the assignment) and
/// recordings (`GET /v1/recordings/{id}` and `…/audio`, its worker or an admin).
///
/// An upload streams to a temporary blob while it is hashed, with the size cap enforced as the
/// bytes arrive; audio already stored is refused before any analysis; the DSP core judges it on
/// the analysis pool (503 when the pool is saturated); the blob moves into place; one
/// transaction checks that the audio is new and records the take, its assignment's state, its
/// pay and its idempotent answer; only then is it answered.
/// Any failure before the commit leaves neither row nor blob.
struct RecordingRoutes {
    let store: any ParloirStore
    let blobs: any BlobStore
    let metrics: ServerMetrics
    let analysis: AnalysisPool
    let maxUploadBytes: Int
    let disk: DiskRoom
    let campaignLimits: CampaignRateLimit

    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    static let noiseCondition = HTTPField.Name("X-Noise-Condition")!
    /// Accepted content types and the family each belongs to.
    static let audioTypes: [String: String] = [
        "audio/wav": "audio/wav", "audio/x-wav": "audio/wav", "audio/wave": "audio/wav", "audio/vnd.wave": "audio/wav",
        "audio/flac": "audio/flac", "audio/x-flac": "audio/flac",
        "audio/ogg": "audio/ogg", "audio/opus": "audio/ogg",
        "audio/mpeg": "audio/mpeg", "audio/mp3": "audio/mpeg",
    ]

    func register(on group: RouterGroup<ParloirContext>) {
        group.put("assignments/:assignment/recording") { request, context in try await upload(request, context) }
        group.get("recordings/:recording") { _, context in try await show(context) }
        group.get("recordings/:recording/audio") { request, context in try await audio(request, context) }
    }

    func upload(_ request: Request, _ context: ParloirContext) async throws -> Response {
        let started = Date()
        let worker = try context.member(.worker)
        let assignmentID = try context.parameters.require("assignment")
        // A declared size over the cap is refused before a byte of the body is read (the
        // connection then closes, so the body is never read either).
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > maxUploadBytes {
            metrics.recordRefusedUpload(code: "payload_too_large")
            throw ParloirError.tooLarge(limit: maxUploadBytes)
        }
        let key = try Self.declaredIdempotencyKey(request)
        if let key, let stored = try await store.storedResponse(memberID: worker.id, key: key) {
            return try await Self.replay(stored, to: request, assignmentID: assignmentID, limit: maxUploadBytes)
        }
        guard let assignment = try await store.assignment(id: assignmentID) else { throw CollectionError.assignmentNotFound(assignmentID) }
        guard assignment.workerID == worker.id else {
            throw ParloirError(status: 403, code: "not_your_assignment", message: "this assignment belongs to another worker")
        }
        let declaredType = request.headers[.contentType]?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard let declaredType, let contentType = Self.audioTypes[declaredType] else {
            throw ParloirError.unsupportedMediaType(declaredType, accepted: ["audio/wav", "audio/flac", "audio/ogg", "audio/mpeg"])
        }
        let noise = try Self.declaredNoise(request)
        if let conflict = assignment.uploadConflict(at: started) { throw conflict }
        let campaign = try await store.existingCampaign(id: assignment.campaignID)
        try campaignLimits.charge(.upload, campaign: campaign, worker: worker)
        if analysis.isSaturated {
            metrics.recordRefusedUpload(code: "busy")
            throw Self.busy
        }
        if let shortage = disk.shortage {
            metrics.recordRefusedUpload(code: "storage_full")
            throw DomainErrors.storageFull(shortage)
        }

        let writer = try blobs.makeUpload(limit: maxUploadBytes)
        defer { writer.discard() }
        do {
            for try await buffer in request.body {
                try buffer.withUnsafeReadableBytes { try writer.write($0) }
            }
        } catch BlobError.tooLarge(let limit) {
            metrics.recordRefusedUpload(code: "payload_too_large")
            throw ParloirError.tooLarge(limit: limit)
        } catch let error as BlobError {
            throw error
        } catch let error as RequestBodyDeadline {
            metrics.recordRefusedUpload(code: error.parloirError.code)
            throw error
        } catch {
            // The client went away or the connection broke: nothing is kept.
            metrics.recordRefusedUpload(code: "upload_interrupted")
            throw ParloirError.badRequest("the upload was interrupted before the whole body arrived", code: "upload_interrupted")
        }
        guard writer.byteCount > 0 else {
            throw ParloirError.badRequest("the body is empty: send the audio bytes", code: "empty_body")
        }
        // fsync blocks: it runs on threads of their own, not on the threads that judge other uploads.
        let sealing = UncheckedBlobWriter(writer)
        let sha256 = try await BlobIO.pool.runIfActive { try sealing.writer.seal() }
        if try await store.audioExists(sha256: sha256) {
            metrics.recordRefusedUpload(code: "duplicate")
            throw CollectionError.duplicateAudio(existing: nil)
        }

        let recordingID = Identifiers.make("rec")
        let analyzer = RecordingAnalyzer(rules: campaign.spec.rules)
        let stagingPath = writer.stagingPath
        let syllables = FrenchSyllables.count(assignment.promptText)
        let report: AnalysisReport
        do {
            report = try await analysis.run { analyzer.analyze(.file(stagingPath), name: recordingID, promptSyllables: syllables) }
        } catch {
            metrics.recordRefusedUpload(code: "busy")
            throw Self.busy
        }
        let accepted = report.verdict == .accept
        let takeNumber = assignment.takes + 1
        let status: HTTPResponse.Status = report.isUndecodable ? .unprocessableContent : .created
        let body = Data(OrderedJSON.fields([
            "recording_id": .string(recordingID),
            "verdict": .string(report.verdict.rawValue),
            "reasons": .array(report.reasons.map(\.orderedJSON)),
            "metrics": report.metrics.orderedJSON,
            "take": .int(takeNumber),
            "takes_left": .int(accepted ? 0 : Assignment.maxTakes - takeNumber),
            "pay_cents": .int(accepted ? campaign.spec.pieceRateCents : 0),
        ]).serialized().utf8)
        let recording = Recording(
            id: recordingID, assignmentID: assignment.id, campaignID: campaign.id, promptID: assignment.promptID,
            workerID: worker.id, sha256: sha256, byteCount: writer.byteCount, contentType: contentType,
            noiseCondition: noise, take: takeNumber, status: accepted ? .accepted : .rejected, report: report, createdAt: Date()
        )
        try await blobs.commit(writer, as: sha256)
        let cells = QuotaPlan(spec: campaign.spec, promptCount: 0).cellKeys(for: assignment.profile, noise: noise ?? assignment.noise)
        do {
            try await store.saveTake(NewTake(
                recording: recording, payCents: accepted ? campaign.spec.pieceRateCents : 0,
                idempotency: key.map { ($0, StoredResponse(status: Int(status.code), body: body, assignmentID: assignment.id, bodySHA256: sha256)) },
                cellKeys: cells
            ), now: started)
        } catch {
            // The blob stays: an identical upload (on this replica or another) may have stored the
            // same bytes and be about to commit its take. Unreferenced blobs are swept later.
            if let key, let stored = try await store.storedResponse(memberID: worker.id, key: key) {
                guard stored.answers(assignmentID: assignmentID, bodySHA256: sha256) else { throw Self.keyReused }
                return JSONResponse.make(body: stored.body, status: HTTPResponse.Status(code: stored.status))
            }
            if case CollectionError.duplicateAudio = error { metrics.recordRefusedUpload(code: "duplicate") }
            throw error
        }
        metrics.recordUpload(verdict: report.verdict.rawValue, reasons: report.reasons.map(\.code.rawValue), bytes: writer.byteCount)
        return JSONResponse.make(body: body, status: status)
    }

    /// The answer stored for a retried `Idempotency-Key`: replayed when the retry is the same
    /// request (same assignment, same bytes, which are hashed as they stream and kept nowhere),
    /// refused with 422 when the key is reused for another, so no take is ever silently lost.
    static func replay(_ stored: StoredResponse, to request: Request, assignmentID: String, limit: Int) async throws -> Response {
        guard stored.answers(assignmentID: assignmentID) else { throw keyReused }
        if !stored.bodySHA256.isEmpty {
            var hasher = SHA256()
            var count = 0
            for try await buffer in request.body {
                count += buffer.readableBytes
                if count > limit { throw ParloirError.tooLarge(limit: limit) }
                buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
            }
            guard stored.answers(assignmentID: assignmentID, bodySHA256: Identifiers.hex(hasher.finalize())) else { throw keyReused }
        }
        return JSONResponse.make(body: stored.body, status: HTTPResponse.Status(code: stored.status))
    }

    /// The `Idempotency-Key`, if any: 1 to 200 characters (it is kept with the answer).
    static func declaredIdempotencyKey(_ request: Request) throws -> String? {
        guard let key = request.headers[idempotencyKey] else { return nil }
        guard (1...200).contains(key.unicodeScalars.count) else {
            throw ParloirError.badRequest("Idempotency-Key must be 1 to 200 characters", code: "invalid_idempotency_key")
        }
        return key
    }

    static let keyReused = ParloirError(
        status: 422, code: "idempotency_key_reused",
        message: "this Idempotency-Key was used for another upload (another assignment or other audio); use a new key for a new take",
        details: ["message_fr": "Cet envoi porte la clé d'un envoi précédent. Votre application doit utiliser une nouvelle clé pour chaque prise."]
    )

    /// The noise condition declared in `X-Noise-Condition`, if any.
    static func declaredNoise(_ request: Request) throws -> NoiseCondition? {
        guard let declared = request.headers[noiseCondition] else { return nil }
        guard let condition = NoiseCondition(rawValue: declared.lowercased()) else {
            throw ParloirError.badRequest("X-Noise-Condition must be one of \(NoiseCondition.allCases.map(\.rawValue).joined(separator: ", "))",
                                          code: "invalid_noise_condition")
        }
        return condition
    }

    /// A blob upload handed to a pool thread while the request waits for it: never used by two at once.
    struct UncheckedBlobWriter: @unchecked Sendable {
        let writer: any BlobUpload
        init(_ writer: any BlobUpload) { self.writer = writer }
    }

    static let busy = ParloirError.busy(
        "every analysis thread is busy and the queue is full; nothing was kept, send the take again shortly",
        messageFR: "Le serveur est très sollicité : votre prise n'a pas été gardée. Renvoyez-la dans quelques secondes.",
        retryAfter: 2
    )

    func show(_ context: ParloirContext) async throws -> Response {
        let member = try context.member(.worker, .admin)
        let recordingID = try context.parameters.require("recording")
        guard let recording = try await store.recording(id: recordingID) else { throw CollectionError.recordingNotFound(recordingID) }
        guard member.role == .admin || recording.workerID == member.id else { throw ParloirError.notFound("recording \(recordingID)") }
        var members: [(String, OrderedJSON)] = [
            ("recording_id", .string(recording.id)), ("assignment_id", .string(recording.assignmentID)),
            ("campaign_id", .string(recording.campaignID)), ("prompt_id", .int(Int(recording.promptID))),
            ("take", .int(recording.take)), ("status", .string(recording.status.rawValue)),
            ("verdict", .string(recording.report.verdict.rawValue)),
            ("reasons", .array(recording.report.reasons.map(\.orderedJSON))),
            ("metrics", recording.report.metrics.orderedJSON),
            ("noise_condition", recording.noiseCondition.map { .string($0.rawValue) } ?? .null),
            ("content_type", .string(recording.contentType)), ("byte_count", .int(recording.byteCount)),
            ("created_at", .string(ISO8601DateFormatter().string(from: recording.createdAt))),
        ]
        if let appeal = try await store.appeal(recordingID: recording.id) {
            members.append(("appeal", Self.json(appeal)))
        }
        let settled = try await store.outcome(recordingID: recording.id)
        members.append(("outcome", settled.map { .string($0.outcome.rawValue) } ?? .null))
        members.append(("final_transcript", .string(settled?.transcript)))
        if member.role == .admin { members.append(("worker_id", .string(recording.workerID))) }
        return JSONResponse.make(.object(members))
    }

    /// An appeal as its worker and the admins read it, with what became of it in French.
    static func json(_ appeal: Appeal) -> OrderedJSON {
        .object([
            ("state", .string(appeal.state.rawValue)), ("comment", .string(appeal.comment)),
            ("reason", .string(appeal.reason)),
            ("message_fr", .string(FrenchMessages.appeal(appeal.state, reason: appeal.reason))),
            ("decided_at", appeal.decidedAt.map { .string(ISO8601DateFormatter().string(from: $0)) } ?? .null),
        ])
    }

    /// The audio of a take, or the part a `Range` asks for (a player seeks with those): any for
    /// an admin, their own for a worker (who may replay it).
    func audio(_ request: Request, _ context: ParloirContext) async throws -> Response {
        let member = try context.member(.worker, .admin)
        let recordingID = try context.parameters.require("recording")
        guard let recording = try await store.recording(id: recordingID) else { throw ParloirError.notFound("recording \(recordingID)") }
        guard member.role == .admin || recording.workerID == member.id else { throw ParloirError.notFound("recording \(recordingID)") }
        return try await BlobResponse.make(blobs, sha256: recording.sha256, contentType: recording.contentType, recordingID: recording.id,
                                           range: request.headers[.range])
    }
}
