import AudioQC
import Foundation

/// A prompt handed to a worker to record, with the time they have.
public struct Assignment: Sendable, Codable, Equatable {
    public var id: String
    public var campaignID: String
    public var promptID: Int64
    public var promptText: String
    public var workerID: String
    public var createdAt: Date
    public var expiresAt: Date
    /// Takes uploaded so far on this assignment.
    public var takes: Int
    /// `open` until a take is accepted or the takes run out.
    public var state: AssignmentState

    public init(id: String, campaignID: String, promptID: Int64, promptText: String, workerID: String,
                createdAt: Date, expiresAt: Date, takes: Int, state: AssignmentState) {
        self.id = id
        self.campaignID = campaignID
        self.promptID = promptID
        self.promptText = promptText
        self.workerID = workerID
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.takes = takes
        self.state = state
    }

    /// Takes allowed per assignment: a rejected take can be recorded again, twice.
    public static let maxTakes = 3

    /// Whether a take may still be uploaded at `now`, or the conflict that forbids it.
    public func uploadConflict(at now: Date) -> ParloirError? {
        if state == .finished {
            return .conflict("assignment_finished", "this assignment is finished: a take was accepted or all \(Self.maxTakes) takes were used")
        }
        if takes >= Self.maxTakes {
            return .conflict("assignment_finished", "all \(Self.maxTakes) takes of this assignment were used")
        }
        if now > expiresAt {
            return .conflict("assignment_expired", "this assignment expired at \(ISO8601DateFormatter().string(from: expiresAt)); ask for a new one")
        }
        return nil
    }
}

/// Whether an assignment still takes uploads.
public enum AssignmentState: String, Sendable, Codable {
    case open
    case finished
}

/// The noise condition a worker declares for a take (`X-Noise-Condition`).
public enum NoiseCondition: String, Sendable, Codable, CaseIterable {
    case quiet, indoor, outdoor, vehicle

    /// The measured classes a take declared in this condition may plausibly have; any other
    /// counts as a mismatch in reports.
    public var expectedMeasurements: Set<MeasuredNoise> {
        switch self {
        case .quiet: return [.quiet]
        case .indoor: return [.quiet, .moderate]
        case .outdoor, .vehicle: return [.moderate, .noisy]
        }
    }
}

/// Where a recording stands.
public enum RecordingStatus: String, Sendable, Codable {
    /// The DSP core accepted it; it awaits verification.
    case accepted
    /// The DSP core rejected it.
    case rejected
}

/// A take as stored: who recorded what, where its audio is, and the DSP core's judgement.
public struct Recording: Sendable, Codable, Equatable {
    public var id: String
    public var assignmentID: String
    public var campaignID: String
    public var promptID: Int64
    public var workerID: String
    /// SHA-256 of the audio bytes: the name of its blob.
    public var sha256: String
    public var byteCount: Int
    public var contentType: String
    public var noiseCondition: NoiseCondition?
    /// 1 for the first take of the assignment, up to `Assignment.maxTakes`.
    public var take: Int
    public var status: RecordingStatus
    public var report: AnalysisReport
    public var createdAt: Date

    public init(id: String, assignmentID: String, campaignID: String, promptID: Int64, workerID: String, sha256: String,
                byteCount: Int, contentType: String, noiseCondition: NoiseCondition?, take: Int, status: RecordingStatus,
                report: AnalysisReport, createdAt: Date) {
        self.id = id
        self.assignmentID = assignmentID
        self.campaignID = campaignID
        self.promptID = promptID
        self.workerID = workerID
        self.sha256 = sha256
        self.byteCount = byteCount
        self.contentType = contentType
        self.noiseCondition = noiseCondition
        self.take = take
        self.status = status
        self.report = report
        self.createdAt = createdAt
    }
}

extension Recording {
    /// The file extension for a stored content type (`audio/flac` → `flac`; WAV otherwise).
    public static func fileExtension(contentType: String) -> String {
        switch contentType {
        case "audio/flac": return "flac"
        case "audio/ogg": return "ogg"
        case "audio/mpeg": return "mp3"
        default: return "wav"
        }
    }
}

/// A take ready to be recorded in one transaction, with the answer its upload gets.
public struct NewTake: Sendable {
    public var recording: Recording
    /// Euro cents owed for it (0 unless accepted).
    public var payCents: Int
    /// The member's `Idempotency-Key`, if any, and the response to replay for it.
    public var idempotency: (key: String, response: StoredResponse)?

    public init(recording: Recording, payCents: Int, idempotency: (key: String, response: StoredResponse)?) {
        self.recording = recording
        self.payCents = payCents
        self.idempotency = idempotency
    }
}

/// A response kept for an `Idempotency-Key`, replayed to retries.
public struct StoredResponse: Sendable, Equatable {
    public var status: Int
    public var body: Data

    public init(status: Int, body: Data) {
        self.status = status
        self.body = body
    }
}

/// A member's own figures for `GET /v1/me`.
public struct MemberSummary: Sendable, Equatable {
    public var member: Member
    /// Takes by verdict (`accept`, `reject`).
    public var takesByVerdict: [String: Int]
    /// Euro cents earned: piece rate × accepted takes.
    public var earningsCents: Int

    public init(member: Member, takesByVerdict: [String: Int], earningsCents: Int) {
        self.member = member
        self.takesByVerdict = takesByVerdict
        self.earningsCents = earningsCents
    }
}

/// Persistence the collection service needs. SQLite (one machine) and PostgreSQL implement it;
/// every method that changes several rows does so in one transaction.
public protocol ParloirStore: Sendable {
    func createCampaign(id: String, spec: CampaignSpec, now: Date) async throws -> Campaign
    func campaign(id: String) async throws -> Campaign?
    func campaign(named name: String) async throws -> Campaign?
    /// Duplicate keys (`PromptValidator.duplicateKey`) of the campaign's prompts.
    func promptKeys(campaignID: String) async throws -> Set<String>
    /// Adds validated prompts; returns how many were stored.
    func addPrompts(_ prompts: [PromptCandidate], campaignID: String) async throws -> Int

    func createMember(_ member: Member, tokenHash: String) async throws
    func member(tokenHash: String) async throws -> Member?
    func memberCount(role: Role) async throws -> Int

    /// The worker's open, unexpired assignment in the campaign, or a new one on the prompt that
    /// most needs speakers and that this worker has not recorded; nil when none is left. A new
    /// assignment is refused (`quota_full`, `speaker_cap`) when the worker's cell is full or
    /// the worker reached the per-speaker cap; the check and the assignment are one transaction.
    func assign(campaign: Campaign, worker: Member, noise: NoiseCondition?, now: Date, id: String) async throws -> (assignment: Assignment, created: Bool)?
    /// Every campaign, oldest first.
    func campaigns() async throws -> [Campaign]
    /// The stored figures of a campaign's report.
    func reportInputs(campaign: Campaign, now: Date) async throws -> ReportInputs
    /// Every take of the campaign the DSP core accepted (verified or not, including those
    /// verification found unusable), for dataset exports.
    func exportItems(campaignID: String) async throws -> [ExportItem]
    func assignment(id: String) async throws -> Assignment?

    func recording(id: String) async throws -> Recording?
    /// Whether audio with this SHA-256 is stored already: the cheap check an upload makes before
    /// it is analysed. `saveTake` checks again in its transaction, which is what holds when two
    /// identical uploads race.
    func audioExists(sha256: String) async throws -> Bool
    /// Stores a take, moves its assignment on, books its pay and its idempotent answer, in one
    /// transaction; throws a `ParloirError` conflict when the assignment no longer takes uploads
    /// or the audio is already stored.
    func saveTake(_ take: NewTake, now: Date) async throws
    func storedResponse(memberID: String, key: String) async throws -> StoredResponse?
    func summary(of member: Member) async throws -> MemberSummary

    /// Every blob name (SHA-256) a recording refers to.
    func referencedBlobs() async throws -> Set<String>
    /// Bytes of audio stored.
    func storedBytes() async throws -> Int
}

extension ParloirStore {
    /// The campaign with `id`, or the 404 that names it.
    public func existingCampaign(id: String) async throws -> Campaign {
        guard let campaign = try await campaign(id: id) else { throw ParloirError.notFound("campaign \(id)") }
        return campaign
    }

    /// The campaign's report, as of `now`.
    public func report(of campaign: Campaign, now: Date = Date()) async throws -> CampaignReport {
        CampaignReport(campaign: campaign, inputs: try await reportInputs(campaign: campaign, now: now), now: now)
    }

    /// Everything an export of the campaign reads from the store.
    public func exportBundle(of campaign: Campaign) async throws -> ExportBundle {
        ExportBundle(campaign: campaign, items: try await exportItems(campaignID: campaign.id), report: try await report(of: campaign))
    }
}
