import Foundation

/// The estimated rate of wrong transcripts among accepted recordings, from verified ones.
///
/// Accepted recordings fall in two strata. Those the sampling policy checks with certainty
/// (probability 1: ASR disagreement, probation, cell minimum) are all verified: their wrong
/// count is known exactly. The others are checked at random with known probabilities: each
/// verified one stands for `1 / probability` of them (Horvitz–Thompson), their wrong share gets
/// a Wilson 95 % interval on the Kish effective sample size `(Σw)² / Σw²`, and that interval is
/// scaled to the stratum's size. The campaign's rate and interval add the two strata.
public struct QualityEstimate: Sendable, Equatable, Codable {
    /// Estimated share of accepted recordings whose transcript is wrong.
    public var rate: Double
    /// 95 % interval.
    public var lower: Double
    public var upper: Double
    /// Recordings verified.
    public var verified: Int
    /// Kish effective sample size of the random stratum.
    public var effectiveSize: Double

    /// One verified recording: was its transcript wrong, and with what probability was it chosen.
    public struct Observation: Sendable {
        public var wrong: Bool
        public var probability: Double
        public init(wrong: Bool, probability: Double) {
            self.wrong = wrong
            self.probability = probability
        }
    }

    /// The estimate over `accepted` recordings, of which `certain` were checked with probability
    /// 1 (their observations are among `observations`); nil when nothing can be said yet.
    public init?(observations: [Observation], accepted: Int, certain: Int, z: Double = 1.959963984540054) {
        guard accepted > 0, !observations.isEmpty else { return nil }
        let exact = observations.filter { $0.probability >= 1 }
        let sampled = observations.filter { $0.probability < 1 }
        let exactWrong = Double(exact.filter(\.wrong).count)
        let remaining = Double(max(0, accepted - certain))
        var share = 0.0, low = 0.0, high = 1.0, effective = 0.0
        if !sampled.isEmpty {
            var weights = 0.0, squares = 0.0, wrongWeight = 0.0
            for observation in sampled {
                let weight = 1 / max(observation.probability, 1e-9)
                weights += weight
                squares += weight * weight
                if observation.wrong { wrongWeight += weight }
            }
            share = wrongWeight / weights
            effective = weights * weights / squares
            (low, high) = Self.wilson(p: share, n: effective, z: z)
        } else if remaining == 0 {
            (low, high) = (0, 0)
        }
        let total = Double(accepted)
        rate = (exactWrong + remaining * share) / total
        lower = (exactWrong + remaining * low) / total
        upper = (exactWrong + remaining * high) / total
        verified = observations.count
        effectiveSize = effective
    }

    /// Wilson score interval for a proportion `p` observed on `n` trials.
    public static func wilson(p: Double, n: Double, z: Double = 1.959963984540054) -> (lower: Double, upper: Double) {
        guard n > 0 else { return (0, 1) }
        let z2 = z * z
        let center = (p + z2 / (2 * n)) / (1 + z2 / n)
        let half = z * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot() / (1 + z2 / n)
        return (max(0, center - half), min(1, center + half))
    }
}
