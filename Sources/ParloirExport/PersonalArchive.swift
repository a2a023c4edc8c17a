import AudioQC
import Foundation
import ParloirCore

/// The copy of their data a member downloads (`GET /v1/me/export`, GDPR articles 15 and 20), as
/// a ZIP archive written while it streams:
///
/// - `profile.json`: their pseudonymous id, role, declared profile and consent date;
/// - `takes.json`: every take with its prompt, the DSP core's verdict, reasons and measures, the
///   machine transcripts, the verifiers' reviews (without who made them), the appeal and the
///   outcome, and the name of its audio file;
/// - `audio/<recording>.<ext>`: each take's original bytes, streamed from the blob store;
/// - `pay.json`: every pay line and the total;
/// - `reviews.json`: the reviews they made as a verifier;
/// - `LISEZMOI.txt`: what the files are, in French.
public struct PersonalArchive: Sendable {
    public let data: PersonalData
    public let generatedAt: Date

    public init(data: PersonalData, generatedAt: Date) {
        self.data = data
        self.generatedAt = generatedAt
    }

    /// The archive's file name, for `Content-Disposition`.
    public var fileName: String { "parloir-\(data.member.id).zip" }

    /// Writes the archive to `output`, reading each take's audio from `blobs` a chunk at a time.
    /// Audio comes first, so that `takes.json` can say which files are there: a take whose blob
    /// is missing is listed with `"audio": null` rather than breaking the archive halfway.
    public func write(audio blobs: any BlobStore, to output: @escaping ZipStreamWriter.Output) async throws {
        let zip = ZipStreamWriter(modified: generatedAt, output: output)
        try await zip.add("profile.json", try Self.json(Profile(data.member, exportedAt: generatedAt)))
        var files: [String: String] = [:]
        for take in data.takes {
            let recording = take.recording
            guard try await blobs.size(of: recording.sha256) != nil else { continue }
            let name = "audio/\(recording.id).\(Recording.fileExtension(contentType: recording.contentType))"
            try await zip.beginEntry(name, level: 1)
            try await blobs.read(recording.sha256) { chunk in try await zip.write(chunk) }
            try await zip.endEntry()
            files[recording.id] = name
        }
        try await zip.add("takes.json", try Self.json(data.takes.map { Take($0, audio: files[$0.recording.id]) }))
        try await zip.add("pay.json", try Self.json(Pay(data.pay)))
        try await zip.add("reviews.json", try Self.json(data.reviewsGiven.map(Review.init)))
        try await zip.add("LISEZMOI.txt", Array(Self.readme(data.member, generatedAt: generatedAt).utf8))
        try await zip.finish()
    }

    static func json(_ value: some Encodable) throws -> [UInt8] {
        let encoder = CampaignReport.encoder
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value)) + [0x0A]
    }

    static func readme(_ member: Member, generatedAt: Date) -> String {
        """
        Vos données chez Parloir
        ========================

        Copie faite le \(ISO8601DateFormatter().string(from: generatedAt)) pour le membre \(member.id).
        Parloir ne connaît ni votre nom ni vos coordonnées : seulement cet identifiant et le profil que vous avez déclaré.

        profile.json   votre identifiant, votre rôle, votre profil déclaré et la date de votre consentement ;
        takes.json     chaque prise : la phrase lue, le verdict du contrôle automatique et ses raisons, les mesures,
                       les transcriptions automatiques, les avis des vérificateurs (sans leur identité), votre recours,
                       le résultat final et le nom du fichier audio ;
        audio/         vos enregistrements, octet pour octet tels que vous les avez envoyés ;
        pay.json       chaque ligne de rémunération et le total ;
        reviews.json   les vérifications que vous avez faites, si vous êtes vérificateur.

        Pour faire effacer vos données, demandez-le dans l'application (DELETE /v1/me) ou à l'équipe de la campagne.

        """
    }

    private struct Profile: Encodable {
        var id: String
        var role: Role
        var createdAt: Date
        var profile: WorkerProfile
        var exportedAt: Date

        init(_ member: Member, exportedAt: Date) {
            id = member.id
            role = member.role
            createdAt = member.createdAt
            profile = member.profile
            self.exportedAt = exportedAt
        }
    }

    private struct Take: Encodable {
        var recordingId: String
        var campaignId: String
        var assignmentId: String
        var promptId: Int64
        var promptText: String
        var take: Int
        var createdAt: Date
        var contentType: String
        var byteCount: Int
        var sha256: String
        var noiseCondition: NoiseCondition?
        var status: RecordingStatus
        var verdict: Verdict
        var reasons: [Reason]
        var metrics: Metrics
        var outcome: RecordingOutcome?
        var finalTranscript: String?
        var transcripts: [Transcript]
        var reviews: [Review]
        var appeal: AppealRecord?
        var audio: String?

        init(_ take: PersonalTake, audio: String?) {
            let recording = take.recording
            recordingId = recording.id
            campaignId = recording.campaignID
            assignmentId = recording.assignmentID
            promptId = recording.promptID
            promptText = take.promptText
            self.take = recording.take
            createdAt = recording.createdAt
            contentType = recording.contentType
            byteCount = recording.byteCount
            sha256 = recording.sha256
            noiseCondition = recording.noiseCondition
            status = recording.status
            verdict = recording.report.verdict
            reasons = recording.report.reasons
            metrics = recording.report.metrics
            outcome = take.outcome
            finalTranscript = take.finalTranscript
            transcripts = take.transcripts.map { Transcript(engine: $0.engine, text: $0.text, createdAt: $0.createdAt) }
            reviews = take.reviews.map(Review.init)
            appeal = take.appeal.map(AppealRecord.init)
            self.audio = audio
        }

        // Optional members are written as null, not left out: every take has the same keys.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(recordingId, forKey: .recordingId)
            try container.encode(campaignId, forKey: .campaignId)
            try container.encode(assignmentId, forKey: .assignmentId)
            try container.encode(promptId, forKey: .promptId)
            try container.encode(promptText, forKey: .promptText)
            try container.encode(take, forKey: .take)
            try container.encode(createdAt, forKey: .createdAt)
            try container.encode(contentType, forKey: .contentType)
            try container.encode(byteCount, forKey: .byteCount)
            try container.encode(sha256, forKey: .sha256)
            try container.encode(noiseCondition, forKey: .noiseCondition)
            try container.encode(status, forKey: .status)
            try container.encode(verdict, forKey: .verdict)
            try container.encode(reasons, forKey: .reasons)
            try container.encode(metrics, forKey: .metrics)
            try container.encode(outcome, forKey: .outcome)
            try container.encode(finalTranscript, forKey: .finalTranscript)
            try container.encode(transcripts, forKey: .transcripts)
            try container.encode(reviews, forKey: .reviews)
            try container.encode(appeal, forKey: .appeal)
            try container.encode(audio, forKey: .audio)
        }

        enum CodingKeys: String, CodingKey {
            case recordingId, campaignId, assignmentId, promptId, promptText, take, createdAt, contentType, byteCount, sha256
            case noiseCondition, status, verdict, reasons, metrics, outcome, finalTranscript, transcripts, reviews, appeal, audio
        }
    }

    private struct Transcript: Encodable {
        var engine: String
        var text: String
        var createdAt: Date
    }

    private struct Review: Encodable {
        var recordingId: String
        var kind: TaskKind
        var verdict: VerifierVerdict
        var transcript: String?
        var tags: [String]
        var unusableReason: String?
        var createdAt: Date

        init(_ review: ReviewRecord) {
            recordingId = review.recordingID
            kind = review.kind
            verdict = review.verdict
            transcript = review.transcript
            tags = review.tags
            unusableReason = review.unusableReason
            createdAt = review.createdAt
        }
    }

    private struct AppealRecord: Encodable {
        var state: AppealState
        var comment: String?
        var createdAt: Date
        var decidedAt: Date?
        var reason: String?

        init(_ appeal: Appeal) {
            state = appeal.state
            comment = appeal.comment
            createdAt = appeal.createdAt
            decidedAt = appeal.decidedAt
            reason = appeal.reason
        }
    }

    private struct Pay: Encodable {
        var totalCents: Int
        var totalEur: String
        var entries: [Entry]

        struct Entry: Encodable {
            var campaignId: String
            var recordingId: String
            var amountCents: Int
            var kind: String
            var createdAt: Date
        }

        init(_ entries: [PayEntry]) {
            totalCents = entries.reduce(0) { $0 + $1.amountCents }
            totalEur = Euros.text(totalCents, decimalSeparator: ",")
            self.entries = entries.map {
                Entry(campaignId: $0.campaignID, recordingId: $0.recordingID, amountCents: $0.amountCents, kind: $0.kind, createdAt: $0.createdAt)
            }
        }
    }
}
