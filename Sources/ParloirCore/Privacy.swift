import AudioQC
import Foundation

/// A member's erasure (GDPR article 17) as the store keeps it: when, at whose request, and how
/// much went. Nothing in it identifies the member: not their id, not their profile.
public struct Erasure: Sendable, Codable, Equatable {
    /// `era-…`, the receipt an admin or the member may keep.
    public var id: String
    public var erasedAt: Date
    /// The admin who erased the member, or `Erasure.bySelf` when the member asked with their own token.
    public var erasedBy: String
    /// What the member was (a worker, a verifier, an ASR engine).
    public var role: Role
    /// Takes removed, accepted or not.
    public var takes: Int
    /// Bytes of audio those takes held.
    public var audioBytes: Int
    /// Euro cents the member had earned; they stay in the campaigns' pay totals.
    public var paidCents: Int

    public init(id: String, erasedAt: Date, erasedBy: String, role: Role, takes: Int, audioBytes: Int, paidCents: Int) {
        self.id = id
        self.erasedAt = erasedAt
        self.erasedBy = erasedBy
        self.role = role
        self.takes = takes
        self.audioBytes = audioBytes
        self.paidCents = paidCents
    }

    /// `erasedBy` when the member erased themself (`DELETE /v1/me`).
    public static let bySelf = "self"

    /// The name a verifier's reviews keep once the verifier is erased: their verdicts still count
    /// in the takes they settled, under a name that points at the tombstone, not at the person.
    public static func anonymousReviewer(erasureID: String) -> String { "erased:\(erasureID)" }
}

/// What an erasure did in the database, and the audio to delete now that no row refers to it.
public struct ErasureOutcome: Sendable, Equatable {
    public var erasure: Erasure
    /// SHA-256 names of the erased takes' blobs. Each take has a blob of its own (the store keeps
    /// one take per hash), so none of them is another take's audio.
    public var blobs: [String]

    public init(erasure: Erasure, blobs: [String]) {
        self.erasure = erasure
        self.blobs = blobs
    }
}

/// The erasures of one campaign, as its report and datasheet state them: anonymous aggregates
/// kept for pay accounting, without any voice or profile.
public struct ErasureTally: Sendable, Codable, Equatable {
    /// Members erased who had takes or pay in the campaign.
    public var members: Int
    /// Their takes, accepted or not, all removed.
    public var takes: Int
    /// Of those, the takes that counted towards quotas when they were erased.
    public var acceptedTakes: Int
    public var acceptedSeconds: Double
    /// What they had earned in the campaign (part of its pay total).
    public var paidCents: Int

    public init(members: Int = 0, takes: Int = 0, acceptedTakes: Int = 0, acceptedSeconds: Double = 0, paidCents: Int = 0) {
        self.members = members
        self.takes = takes
        self.acceptedTakes = acceptedTakes
        self.acceptedSeconds = acceptedSeconds
        self.paidCents = paidCents
    }
}

/// Everything stored about a member, for the copy they may ask for (GDPR articles 15 and 20).
public struct PersonalData: Sendable, Equatable {
    public var member: Member
    /// Their takes, oldest first.
    public var takes: [PersonalTake]
    /// Their pay entries, oldest first.
    public var pay: [PayEntry]
    /// Reviews they made as a verifier, oldest first.
    public var reviewsGiven: [ReviewRecord]

    public init(member: Member, takes: [PersonalTake], pay: [PayEntry], reviewsGiven: [ReviewRecord]) {
        self.member = member
        self.takes = takes
        self.pay = pay
        self.reviewsGiven = reviewsGiven
    }
}

/// One of a worker's takes with what became of it: the DSP core's verdict and reasons, machine
/// transcripts, people's reviews (without who made them), the appeal, the outcome.
public struct PersonalTake: Sendable, Equatable {
    public var recording: Recording
    public var promptText: String
    public var outcome: RecordingOutcome?
    public var finalTranscript: String?
    public var transcripts: [MachineTranscript]
    public var reviews: [ReviewRecord]
    public var appeal: Appeal?

    public init(recording: Recording, promptText: String, outcome: RecordingOutcome?, finalTranscript: String?,
                transcripts: [MachineTranscript], reviews: [ReviewRecord], appeal: Appeal?) {
        self.recording = recording
        self.promptText = promptText
        self.outcome = outcome
        self.finalTranscript = finalTranscript
        self.transcripts = transcripts
        self.reviews = reviews
        self.appeal = appeal
    }
}

/// What an ASR engine heard in a take.
public struct MachineTranscript: Sendable, Equatable {
    public var engine: String
    public var text: String
    public var createdAt: Date

    public init(engine: String, text: String, createdAt: Date) {
        self.engine = engine
        self.text = text
        self.createdAt = createdAt
    }
}

/// A verifier's review, as a worker or the verifier may see it.
public struct ReviewRecord: Sendable, Equatable {
    public var recordingID: String
    public var kind: TaskKind
    public var verdict: VerifierVerdict
    public var transcript: String?
    public var tags: [String]
    public var unusableReason: String?
    public var createdAt: Date

    public init(recordingID: String, kind: TaskKind, verdict: VerifierVerdict, transcript: String?, tags: [String],
                unusableReason: String?, createdAt: Date) {
        self.recordingID = recordingID
        self.kind = kind
        self.verdict = verdict
        self.transcript = transcript
        self.tags = tags
        self.unusableReason = unusableReason
        self.createdAt = createdAt
    }
}

/// A line of the pay ledger.
public struct PayEntry: Sendable, Equatable {
    public var campaignID: String
    public var recordingID: String
    public var amountCents: Int
    /// `piece_rate`, or `appeal_upheld`.
    public var kind: String
    public var createdAt: Date

    public init(campaignID: String, recordingID: String, amountCents: Int, kind: String, createdAt: Date) {
        self.campaignID = campaignID
        self.recordingID = recordingID
        self.amountCents = amountCents
        self.kind = kind
        self.createdAt = createdAt
    }
}
