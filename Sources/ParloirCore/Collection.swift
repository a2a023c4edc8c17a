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
    /// The worker's profile when the prompt was assigned: the cells its takes count in.
    public var profile: WorkerProfile
    /// The noise condition declared when it was assigned.
    public var noise: NoiseCondition?

    public init(id: String, campaignID: String, promptID: Int64, promptText: String, workerID: String,
                createdAt: Date, expiresAt: Date, takes: Int, state: AssignmentState,
                profile: WorkerProfile = WorkerProfile(), noise: NoiseCondition? = nil) {
        self.profile = profile
        self.noise = noise
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
    public func uploadConflict(at now: Date) -> CollectionError? {
        if state == .finished || state == .setAside || takes >= Self.maxTakes { return .assignmentFinished(takesUsed: takes) }
        if state == .expired || now > expiresAt { return .assignmentExpired(at: expiresAt) }
        return nil
    }
}

extension Assignment {
    /// What setting the assignment aside (a skip or a report) changes.
    public enum SetAside: Sendable, Equatable {
        /// It is set aside already: nothing more.
        case already
        /// It holds a place in its cells' in-flight counts, which goes back.
        case givesPlaceBack
        /// Its time ran out (its place went back then): only its state and the reason change.
        case holdsNoPlace
    }

    /// What setting it aside does; an assignment with an accepted take or no take left is
    /// finished, and is not set aside.
    public func setAside() throws(CollectionError) -> SetAside {
        switch state {
        case .setAside: return .already
        case .finished: throw .assignmentFinished(takesUsed: takes)
        case .open: return .givesPlaceBack
        case .expired: return .holdsNoPlace
        }
    }
}

/// Whether an assignment still takes uploads.
public enum AssignmentState: String, Sendable, Codable {
    case open
    case finished
    /// Its time ran out before a take was accepted (its in-flight counts were given back).
    case expired
    /// The worker skipped or reported its prompt (its in-flight counts were given back).
    case setAside = "set_aside"
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
    /// The quota cells the take counts in when it counts (`QuotaPlan.cellKeys`).
    public var cellKeys: [String]

    public init(recording: Recording, payCents: Int, idempotency: (key: String, response: StoredResponse)?, cellKeys: [String]) {
        self.cellKeys = cellKeys
        self.recording = recording
        self.payCents = payCents
        self.idempotency = idempotency
    }
}

/// A response kept for an `Idempotency-Key`, replayed to retries.
public struct StoredResponse: Sendable, Equatable {
    public var status: Int
    public var body: Data
    /// The assignment the request was for, and the SHA-256 of its body: a key is replayed only
    /// to the same request (empty for answers stored before keys were scoped).
    public var assignmentID: String
    public var bodySHA256: String

    public init(status: Int, body: Data, assignmentID: String = "", bodySHA256: String = "") {
        self.status = status
        self.body = body
        self.assignmentID = assignmentID
        self.bodySHA256 = bodySHA256
    }

    /// Whether this answer belongs to a request for `assignmentID` (and, once known, with a body
    /// hashing to `bodySHA256`).
    public func answers(assignmentID: String, bodySHA256: String? = nil) -> Bool {
        guard !self.assignmentID.isEmpty else { return true }
        guard self.assignmentID == assignmentID else { return false }
        guard let bodySHA256, !self.bodySHA256.isEmpty else { return true }
        return self.bodySHA256 == bodySHA256
    }
}

/// A member's own figures for `GET /v1/me`.
public struct MemberSummary: Sendable, Equatable {
    public var member: Member
    /// Takes by where they stand (`accept`: accepted, by the DSP core or on appeal; `reject`:
    /// rejected), so that they agree with the pay.
    public var takesByVerdict: [String: Int]
    /// Euro cents earned: piece rate × accepted takes.
    public var earningsCents: Int

    public init(member: Member, takesByVerdict: [String: Int], earningsCents: Int) {
        self.member = member
        self.takesByVerdict = takesByVerdict
        self.earningsCents = earningsCents
    }

    /// The key a take with this stored status counts under.
    public static func verdictKey(status: String) -> String {
        status == RecordingStatus.accepted.rawValue ? "accept" : "reject"
    }
}

