import Foundation

/// Why a verification task exists; the queue serves them in this order.
public enum TaskKind: String, Sendable, Codable, CaseIterable {
    /// A worker appealed an automatic rejection.
    case appeal
    /// The ASR transcript disagrees with the prompt.
    case disagreement
    /// Chosen by the sampling policy (probation, cell minimum, random draw).
    case sample
    /// A second, independent review of a sampled recording, to measure verifiers.
    case double
    /// A recording with a known answer, mixed in to score the verifier.
    case gold

    /// Lower is served first.
    public var priority: Int {
        switch self {
        case .appeal: return 0
        case .disagreement: return 1
        case .sample: return 2
        case .double: return 3
        case .gold: return 2
        }
    }
}

/// What a verifier says about a take.
public enum VerifierVerdict: String, Sendable, Codable, CaseIterable {
    /// The words spoken are the prompt's.
    case matchesPrompt = "matches_prompt"
    /// Usable speech, with the transcript corrected to what was said.
    case corrected
    /// Not usable (wrong sentence, noise, several voices…), with a reason.
    case unusable
}

/// A verifier's result, as posted.
public struct VerifierResult: Sendable, Codable, Equatable {
    public var verdict: VerifierVerdict
    public var transcript: String?
    public var tags: [String]
    public var unusableReason: String?

    public init(verdict: VerifierVerdict, transcript: String?, tags: [String] = [], unusableReason: String? = nil) {
        self.verdict = verdict
        self.transcript = transcript
        self.tags = tags
        self.unusableReason = unusableReason
    }

    enum CodingKeys: String, CodingKey {
        case verdict, transcript, tags
        case unusableReason = "unusable_reason"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        verdict = try c.decode(VerifierVerdict.self, forKey: .verdict)
        transcript = try c.decodeIfPresent(String.self, forKey: .transcript)
        tags = try c.decodeIfPresent([String].self, forKey: .tags) ?? []
        unusableReason = try c.decodeIfPresent(String.self, forKey: .unusableReason)
    }

    /// Tags verifiers may put on a take.
    public static let knownTags: Set<String> = ["[bruit]", "[rire]", "[hésitation]", "[voix_de_fond]", "[musique]", "[toux]", "[coupure]"]

    /// Checks the result; the error says what is missing.
    public func validate() throws(ParloirError) {
        switch verdict {
        case .corrected:
            guard let transcript, !transcript.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw ParloirError(status: 400, code: "invalid_result", message: "a corrected result needs the transcript of what was said",
                                   details: ["message_fr": "Écrivez la transcription de ce qui est dit avant de l'envoyer."])
            }
        case .unusable:
            guard let unusableReason, !unusableReason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw ParloirError(status: 400, code: "invalid_result", message: "an unusable result needs an unusable_reason",
                                   details: ["message_fr": "Choisissez pourquoi l'enregistrement est inutilisable."])
            }
        case .matchesPrompt:
            break
        }
        // A transcript is one line of text: a control character (a terminal editor's ^W, a tab, a
        // line break) would reach the final transcripts and every export's manifests.
        for (field, text) in [("transcript", transcript), ("unusable_reason", unusableReason)] {
            if let text, text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                throw ParloirError(status: 400, code: "invalid_result", message: "\(field) contains control characters (a tab, a line break or a terminal key); send one line of text",
                                   details: ["message_fr": "Le texte contient des caractères invisibles (tabulation, retour à la ligne…). Envoyez une seule ligne de texte."])
            }
        }
        if let unknown = tags.first(where: { !Self.knownTags.contains($0) }) {
            throw ParloirError(status: 400, code: "invalid_result",
                               message: "unknown tag \(unknown); tags are \(Self.knownTags.sorted().joined(separator: " "))",
                               details: ["message_fr": "L'étiquette \(unknown) n'existe pas. Choisissez parmi celles de la liste."])
        }
    }
}

/// A task handed to a verifier, with what they need to judge it (never who recorded it).
public struct ClaimedTask: Sendable, Equatable {
    public var taskID: String
    public var recordingID: String
    public var kind: TaskKind
    public var promptText: String
    public var asrText: String?
    public var leaseExpiresAt: Date

    public init(taskID: String, recordingID: String, kind: TaskKind, promptText: String, asrText: String?, leaseExpiresAt: Date) {
        self.taskID = taskID
        self.recordingID = recordingID
        self.kind = kind
        self.promptText = promptText
        self.asrText = asrText
        self.leaseExpiresAt = leaseExpiresAt
    }
}

/// How a verifier measures up.
public struct VerifierStatistics: Sendable, Equatable {
    public var verifierID: String
    public var reviews: Int
    /// Gold items reviewed, and how many got the gold verdict.
    public var goldItems: Int
    public var goldVerdictsRight: Int
    /// Mean WER of the verifier's transcript against the gold transcript.
    public var goldMeanWER: Double?
    /// Double reviews shared with another verifier, and how many agreed on usable or not.
    public var doubleReviews: Int
    public var doubleAgreements: Int
    /// Mean WER between the two verifiers' transcripts on double reviews both found usable.
    public var doubleMeanWER: Double?

    public init(verifierID: String, reviews: Int, goldItems: Int, goldVerdictsRight: Int, goldMeanWER: Double?,
                doubleReviews: Int, doubleAgreements: Int, doubleMeanWER: Double?) {
        self.verifierID = verifierID
        self.reviews = reviews
        self.goldItems = goldItems
        self.goldVerdictsRight = goldVerdictsRight
        self.goldMeanWER = goldMeanWER
        self.doubleReviews = doubleReviews
        self.doubleAgreements = doubleAgreements
        self.doubleMeanWER = doubleMeanWER
    }
}

/// Where a worker's appeal stands.
public enum AppealState: String, Sendable, Codable {
    case pending
    /// A verifier found the take usable: it is accepted and paid.
    case upheld
    /// A verifier found it unusable, for the reason given.
    case dismissed
}

/// A worker's appeal of an automatic rejection.
public struct Appeal: Sendable, Equatable {
    public var recordingID: String
    public var state: AppealState
    public var comment: String?
    public var createdAt: Date
    public var decidedAt: Date?
    public var reason: String?

    public init(recordingID: String, state: AppealState, comment: String?, createdAt: Date, decidedAt: Date?, reason: String?) {
        self.recordingID = recordingID
        self.state = state
        self.comment = comment
        self.createdAt = createdAt
        self.decidedAt = decidedAt
        self.reason = reason
    }

    /// Days a worker has to appeal an automatic rejection.
    public static let windowDays = 14
}

/// Where verification leaves a recording.
public enum RecordingOutcome: String, Sendable, Codable {
    /// People confirmed the words; the final transcript is the prompt or the correction.
    case validated
    /// People found it unusable.
    case invalidated
}

/// Persistence for verification, on top of the collection store.
public protocol VerificationStore: Sendable {
    /// Stores an ASR transcript and, for an accepted recording seen for the first time, takes the
    /// sampling decision and queues its tasks; returns the kinds queued.
    func saveTranscript(recordingID: String, engine: String, text: String, confidence: Double?, wer: Double,
                        policy: SamplingPolicy, doubleReviewRate: Double, now: Date) async throws -> [TaskKind]
    /// The next task for this verifier (appeals first, then disagreements, then the rest), leased
    /// until `now + lease`; never a recording this verifier already reviewed. Nil when none waits.
    ///
    /// Atomic primitive: lease-skip-locked. Two verifiers claiming at once, on any replica, never
    /// get the same task; a task whose lease ran out is claimable again.
    func claimTask(verifierID: String, now: Date, lease: TimeInterval, taskID: String) async throws -> ClaimedTask?
    /// The recording's blob name when `verifierID` holds a live lease on the task.
    func leasedRecording(taskID: String, verifierID: String, now: Date) async throws -> Recording
    /// Gives a leased task back to the queue (the verifier stopped before answering).
    func releaseTask(taskID: String, verifierID: String, now: Date) async throws
    /// Records a result on a leased task and settles the recording when all its tasks are done.
    func submitResult(taskID: String, verifierID: String, result: VerifierResult, now: Date) async throws -> RecordingOutcome?
    func createAppeal(recordingID: String, workerID: String, comment: String?, now: Date, taskID: String) async throws -> Appeal
    func appeal(recordingID: String) async throws -> Appeal?
    /// Outcome and final transcript of a recording, if settled.
    func outcome(recordingID: String) async throws -> (outcome: RecordingOutcome, transcript: String?)?
    /// Marks a recording as a gold item with its known answer.
    func setGold(recordingID: String, answer: VerifierResult) async throws
    /// Per verifier: reviews, gold items and how they scored, double-review agreement.
    func verifierStatistics() async throws -> [VerifierStatistics]
    /// Mean WER between the two transcripts of the campaign's double reviews.
    func doubleReviewWER(campaignID: String) async throws -> Double?
    /// Takes the sampling decision for accepted takes no ASR transcript came for: accepted at or
    /// before `acceptedBefore`, with no transcript, no decision yet and no outcome (an upheld
    /// appeal is settled already). Each is judged by `policy(campaignID)` as if the ASR had agreed
    /// (the worker's first takes, thin cells, the base rate scaled by trust) and its tasks are
    /// queued; a take decided this way keeps no ASR WER, which is how it is told apart later
    /// (`takesSampledWithoutASR`). Returns how many takes were decided (at most `limit`).
    ///
    /// Atomic primitive: lease-skip-locked. Replicas running the job at once each lock the takes
    /// they decide and pass over those another holds, and a transcript arriving at that moment
    /// waits for the lock, then finds the decision taken: every take is decided once.
    func sampleWithoutTranscript(acceptedBefore: Date, policy: @escaping @Sendable (String) -> SamplingPolicy,
                                 doubleReviewRate: Double, now: Date, limit: Int) async throws -> Int
    /// Accepted takes of the campaign whose sampling decision was taken without an ASR transcript.
    func takesSampledWithoutASR(campaignID: String) async throws -> Int
    /// Everything the campaign's quality estimate needs.
    func qualityInputs(campaignID: String) async throws -> (observations: [QualityEstimate.Observation], accepted: Int, certain: Int, agreement: (pairs: Int, agreeing: Int))
}

/// The work of a background ASR client, kept in the store so that a restart loses none of it.
public protocol TranscriptionQueue: VerificationStore {
    /// Accepted takes with no transcript from `engine`, whose next attempt is due, oldest first.
    func pendingTranscriptions(engine: String, now: Date, maxAttempts: Int, limit: Int) async throws -> [Recording]
    /// Counts a failed attempt and sets when to try again (`backoff(attempts)` seconds later).
    func recordTranscriptionFailure(recordingID: String, engine: String, error: String, now: Date,
                                    backoff: @escaping @Sendable (Int) -> TimeInterval) async throws
}
