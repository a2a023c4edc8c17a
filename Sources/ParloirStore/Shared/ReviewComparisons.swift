import ParloirCore
import Transcripts

/// Reviews set side by side: each gold review against its known answer, each double review
/// against its pair, and how many reviews each verifier made. The engine reads them; the
/// figures come from here.
struct ReviewComparisons: Sendable {
    struct GoldReview: Sendable {
        var verifier: String
        /// Same usable-or-not as the answer, and the same verdict when usable.
        var right: Bool
        var transcript: String?
        var goldTranscript: String?
    }

    struct DoubleReview: Sendable {
        var recording: String
        var verifier: String
        var usable: Bool
        var transcript: String?
    }

    var gold: [GoldReview]
    /// Ordered by recording, then review time: the first two of a recording are its pair.
    var doubles: [DoubleReview]
    var reviews: [String: Int]

    /// Per verifier: reviews, gold items and how they scored, double-review agreement; by id.
    func verifierStatistics() -> [VerifierStatistics] {
        var statistics: [String: VerifierStatistics] = [:]
        func entry(_ id: String) -> VerifierStatistics {
            statistics[id] ?? VerifierStatistics(verifierID: id, reviews: reviews[id] ?? 0, goldItems: 0, goldVerdictsRight: 0,
                                                 goldMeanWER: nil, doubleReviews: 0, doubleAgreements: 0, doubleMeanWER: nil)
        }
        var goldWERs: [String: [Double]] = [:]
        for item in gold {
            var stats = entry(item.verifier)
            stats.goldItems += 1
            if item.right { stats.goldVerdictsRight += 1 }
            if let said = item.transcript, let expected = item.goldTranscript {
                goldWERs[item.verifier, default: []].append(ErrorRates(reference: expected, hypothesis: said).wer)
            }
            statistics[item.verifier] = stats
        }
        var doubleWERs: [String: [Double]] = [:]
        for pair in Dictionary(grouping: doubles, by: \.recording).values where pair.count >= 2 {
            let a = pair[0], b = pair[1]
            let agree = a.usable == b.usable
            let wer = a.transcript.flatMap { first in b.transcript.map { ErrorRates(reference: first, hypothesis: $0).wer } }
            for verifier in [a.verifier, b.verifier] {
                var stats = entry(verifier)
                stats.doubleReviews += 1
                if agree { stats.doubleAgreements += 1 }
                if let wer { doubleWERs[verifier, default: []].append(wer) }
                statistics[verifier] = stats
            }
        }
        for id in reviews.keys where statistics[id] == nil { statistics[id] = entry(id) }
        return statistics.values.map { stats in
            var stats = stats
            if let values = goldWERs[stats.verifierID], !values.isEmpty { stats.goldMeanWER = values.reduce(0, +) / Double(values.count) }
            if let values = doubleWERs[stats.verifierID], !values.isEmpty { stats.doubleMeanWER = values.reduce(0, +) / Double(values.count) }
            return stats
        }.sorted { $0.verifierID < $1.verifierID }
    }

    /// Mean WER between the two transcripts of double reviews that both found the take usable.
    func doubleReviewWER() -> Double? {
        let wers = Dictionary(grouping: doubles, by: \.recording).values.compactMap { pair -> Double? in
            guard pair.count >= 2, let first = pair[0].transcript, let second = pair[1].transcript else { return nil }
            return ErrorRates(reference: first, hypothesis: second).wer
        }
        return wers.isEmpty ? nil : wers.reduce(0, +) / Double(wers.count)
    }
}
