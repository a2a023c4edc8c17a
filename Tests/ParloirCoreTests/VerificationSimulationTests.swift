import Foundation
import ParloirCore
import Testing

/// The verification design holds up on synthetic campaigns with known truth.
struct VerificationSimulationTests {
    @Test func intervalCoversTheTrueRateAndListensStayLow() {
        let summary = CampaignSimulation().summary(runs: 200)
        #expect(summary.coverage >= 0.95)
        #expect(summary.listensPerAccepted <= 0.3)
        #expect(summary.meanWidth < 0.1)
    }

    @Test func longerCampaignsNeedFewerListens() {
        var simulation = CampaignSimulation()
        simulation.recordingsPerWorker = 200
        let summary = simulation.summary(runs: 40)
        #expect(summary.listensPerAccepted < 0.2)
        #expect(summary.coverage >= 0.9)
    }
}

/// The sampling policy's rules, one by one.
struct SamplingPolicyTests {
    let policy = SamplingPolicy()

    func facts(_ id: String = "rec-1", asr: Double? = 0.0, before: Int = 50, verified: Int = 10, wrong: Int = 0, cell: Int = 50) -> SamplingPolicy.Facts {
        .init(recordingID: id, asrWER: asr, workerAcceptedBefore: before, workerVerified: verified, workerWrong: wrong, cellVerified: cell)
    }

    @Test func disagreementProbationAndThinCellsAreAlwaysChecked() {
        #expect(policy.decide(facts(asr: 0.4)) == .init(probability: 1, selected: true, reason: .asrDisagreement))
        #expect(policy.decide(facts(before: 3)).reason == .probation)
        #expect(policy.decide(facts(cell: 2)).reason == .cellMinimum)
    }

    @Test func trustedWorkersAreSampledLessButNeverUnderTheFloor() {
        let trusted = policy.decide(facts(verified: 200, wrong: 0))
        let doubtful = policy.decide(facts(verified: 20, wrong: 8))
        #expect(trusted.probability == policy.floorRate)
        #expect(doubtful.probability > policy.baseRate)
        #expect(doubtful.probability <= policy.ceilingRate)
    }

    @Test func decisionsAreReproducibleAndNearTheirProbability() {
        let ids = (0..<20_000).map { "rec-\($0)" }
        let first = ids.map { policy.decide(facts($0)).selected }
        let second = ids.map { policy.decide(facts($0)).selected }
        #expect(first == second)
        let probability = policy.decide(facts()).probability
        let share = Double(first.filter { $0 }.count) / Double(ids.count)
        #expect(abs(share - probability) < 0.01)
    }

    @Test func wilsonIntervalMatchesTheTextbook() {
        let interval = QualityEstimate.wilson(p: 0.1, n: 100)
        #expect(abs(interval.lower - 0.05522) < 1e-4)
        #expect(abs(interval.upper - 0.17437) < 1e-4)
    }

    @Test func certainStratumCountsExactly() throws {
        let observations = (0..<10).map { QualityEstimate.Observation(wrong: $0 < 2, probability: 1) }
        let estimate = try #require(QualityEstimate(observations: observations, accepted: 10, certain: 10))
        #expect(estimate.rate == 0.2 && estimate.lower == 0.2 && estimate.upper == 0.2)
        let partial = try #require(QualityEstimate(observations: observations, accepted: 100, certain: 10))
        #expect(partial.lower == 0.02 && partial.upper == 0.92)
    }
}
