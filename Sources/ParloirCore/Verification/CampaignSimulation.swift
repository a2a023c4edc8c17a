import Foundation


/// A synthetic campaign to check the verification design: workers with known rates of wrong
/// transcripts, an ASR engine that notices some of them, the sampling policy, and perfect
/// verifiers. Each run gives the true error rate, the estimate with its interval, and how many
/// recordings people listened to.
public struct CampaignSimulation: Sendable {
    public var workers = 120
    public var recordingsPerWorker = 60
    /// Rates of wrong transcripts drawn for workers: most careful, some sloppy, a few bad.
    public var workerErrorRates: [(share: Double, rate: Double)] = [(0.7, 0.02), (0.2, 0.08), (0.1, 0.3)]
    /// Chance that the ASR transcript of a wrong recording disagrees with the prompt (WER > 0.25).
    public var asrCatchesWrong = 0.6
    /// Chance that the ASR transcript of a right recording disagrees anyway (ASR errors).
    public var asrFalseAlarm = 0.03
    public var cells = 12
    public var policy = SamplingPolicy()

    public init() {}

    public struct Outcome: Sendable {
        public var trueRate: Double
        public var estimate: QualityEstimate
        public var listens: Int
        public var accepted: Int
        public var covered: Bool { estimate.lower <= trueRate && trueRate <= estimate.upper }
        public var listensPerAccepted: Double { Double(listens) / Double(accepted) }
    }

    /// One run with its own seed.
    public func run(seed: UInt64) -> Outcome {
        var random = SplitMix64(seed: seed)
        var policy = self.policy
        policy.seed = seed
        var workerRates: [Double] = []
        for _ in 0..<workers {
            var draw = random.nextDouble()
            var rate = workerErrorRates.last!.rate
            for group in workerErrorRates {
                if draw < group.share { rate = group.rate; break }
                draw -= group.share
            }
            workerRates.append(rate)
        }
        var accepted = [Int](repeating: 0, count: workers)
        var verified = [Int](repeating: 0, count: workers)
        var wrongFound = [Int](repeating: 0, count: workers)
        var cellVerified = [Int](repeating: 0, count: cells)
        var observations: [QualityEstimate.Observation] = []
        var certain = 0, wrongTotal = 0, total = 0
        // Workers record in turns, as a campaign fills.
        for round in 0..<recordingsPerWorker {
            for worker in 0..<workers {
                let wrong = random.nextDouble() < workerRates[worker]
                let disagrees = random.nextDouble() < (wrong ? asrCatchesWrong : asrFalseAlarm)
                let cell = worker % cells
                let facts = SamplingPolicy.Facts(
                    recordingID: "rec-\(worker)-\(round)", asrWER: disagrees ? 0.5 : 0.05,
                    workerAcceptedBefore: accepted[worker], workerVerified: verified[worker],
                    workerWrong: wrongFound[worker], cellVerified: cellVerified[cell])
                let decision = policy.decide(facts)
                accepted[worker] += 1
                total += 1
                if wrong { wrongTotal += 1 }
                if decision.probability >= 1 { certain += 1 }
                if decision.selected {
                    verified[worker] += 1
                    cellVerified[cell] += 1
                    if wrong { wrongFound[worker] += 1 }
                    observations.append(.init(wrong: wrong, probability: decision.probability))
                }
            }
        }
        let estimate = QualityEstimate(observations: observations, accepted: total, certain: certain)!
        return Outcome(trueRate: Double(wrongTotal) / Double(total), estimate: estimate, listens: observations.count, accepted: total)
    }
}

/// A small, fast, seedable generator (SplitMix64) for reproducible simulations.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9e3779b97f4a7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58476d1ce4e5b9
        z = (z ^ (z >> 27)) &* 0x94d049bb133111eb
        return z ^ (z >> 31)
    }
    public mutating func nextDouble() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

extension CampaignSimulation {
    /// Figures over many seeded runs.
    public struct Summary: Sendable {
        public var runs: Int
        /// Share of runs whose 95 % interval holds the true rate.
        public var coverage: Double
        /// Mean listens per accepted recording.
        public var listensPerAccepted: Double
        /// Mean interval width.
        public var meanWidth: Double
        /// Mean true rate of wrong transcripts.
        public var meanTrueRate: Double
    }

    /// Runs seeds `firstSeed ..< firstSeed + runs`.
    public func summary(runs: Int, firstSeed: UInt64 = 1) -> Summary {
        let outcomes = (0..<runs).map { run(seed: firstSeed + UInt64($0)) }
        let count = Double(outcomes.count)
        return Summary(
            runs: runs,
            coverage: Double(outcomes.filter(\.covered).count) / count,
            listensPerAccepted: outcomes.map(\.listensPerAccepted).reduce(0, +) / count,
            meanWidth: outcomes.map { $0.estimate.upper - $0.estimate.lower }.reduce(0, +) / count,
            meanTrueRate: outcomes.map(\.trueRate).reduce(0, +) / count
        )
    }
}
