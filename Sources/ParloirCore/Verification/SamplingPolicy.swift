import Foundation

/// Decides which accepted recordings people listen to, and with what probability, so that the
/// dataset's error rate can be estimated from far fewer listens than Common Voice's two per clip.
///
/// A recording is always verified (probability 1) when:
/// - the ASR transcript disagrees with the prompt (WER above `disagreementWER`, default 0.25);
/// - it comes from one of the worker's first `probationTakes` accepted recordings (default 10);
/// - its accent × region cell has fewer than `minimumPerCell` verified recordings (default 5).
///
/// Otherwise it is verified with probability `baseRate` (default 5 %) scaled by how the worker's
/// estimated error rate compares with the prior's: each worker's rate of wrong transcripts has a
/// Beta(`priorErrors`, `priorCorrect`) prior updated by their verified outcomes, and the rate is
/// kept between `floorRate` (2 %) and `ceilingRate` (50 %). The draw is seeded by the recording
/// id and the campaign's seed, so the same inputs always give the same decision.
public struct SamplingPolicy: Sendable, Equatable, Codable {
    public var disagreementWER = 0.25
    public var probationTakes = 10
    public var baseRate = 0.05
    public var floorRate = 0.02
    public var ceilingRate = 0.5
    public var minimumPerCell = 5
    public var priorErrors = 1.0
    public var priorCorrect = 19.0
    public var seed: UInt64 = 1

    public init() {}

    /// What is known about a recording when the decision is taken.
    public struct Facts: Sendable {
        public var recordingID: String
        /// WER of the ASR transcript against the prompt, nil when no transcript came.
        public var asrWER: Double?
        /// Accepted recordings of this worker before this one.
        public var workerAcceptedBefore: Int
        /// Verified outcomes of this worker so far.
        public var workerVerified: Int
        public var workerWrong: Int
        /// Verified recordings in the recording's accent × region cell so far.
        public var cellVerified: Int

        public init(recordingID: String, asrWER: Double?, workerAcceptedBefore: Int, workerVerified: Int, workerWrong: Int, cellVerified: Int) {
            self.recordingID = recordingID
            self.asrWER = asrWER
            self.workerAcceptedBefore = workerAcceptedBefore
            self.workerVerified = workerVerified
            self.workerWrong = workerWrong
            self.cellVerified = cellVerified
        }
    }

    /// Why a recording goes to people, in priority order for the queue.
    public enum Reason: String, Sendable, Codable {
        case asrDisagreement = "asr_disagreement"
        case probation
        case cellMinimum = "cell_minimum"
        case random
    }

    /// The decision: the probability the recording had of being chosen, and whether it was.
    public struct Decision: Sendable, Equatable {
        public var probability: Double
        public var selected: Bool
        public var reason: Reason?

        public init(probability: Double, selected: Bool, reason: Reason?) {
            self.probability = probability
            self.selected = selected
            self.reason = reason
        }
    }

    /// The worker's estimated rate of wrong transcripts (posterior mean).
    public func workerErrorRate(verified: Int, wrong: Int) -> Double {
        (priorErrors + Double(wrong)) / (priorErrors + priorCorrect + Double(verified))
    }

    public func decide(_ facts: Facts) -> Decision {
        if let wer = facts.asrWER, wer > disagreementWER {
            return Decision(probability: 1, selected: true, reason: .asrDisagreement)
        }
        if facts.workerAcceptedBefore < probationTakes {
            return Decision(probability: 1, selected: true, reason: .probation)
        }
        if facts.cellVerified < minimumPerCell {
            return Decision(probability: 1, selected: true, reason: .cellMinimum)
        }
        let prior = priorErrors / (priorErrors + priorCorrect)
        let estimate = workerErrorRate(verified: facts.workerVerified, wrong: facts.workerWrong)
        let probability = min(ceilingRate, max(floorRate, baseRate * estimate / prior))
        let selected = Self.uniform(facts.recordingID, seed: seed) < probability
        return Decision(probability: probability, selected: selected, reason: selected ? .random : nil)
    }

    /// A number in [0, 1) fixed by the id and the seed (FNV-1a, then SplitMix64).
    public static func uniform(_ id: String, seed: UInt64) -> Double {
        var z = StableHash.fnv1a(id, seed: seed) &+ 0x9e3779b97f4a7c15
        z = (z ^ (z >> 30)) &* 0xbf58476d1ce4e5b9
        z = (z ^ (z >> 27)) &* 0x94d049bb133111eb
        z ^= z >> 31
        return Double(z >> 11) / Double(1 << 53)
    }
}
