import AudioQC
import Foundation

/// Everything the commissioning team watches about a campaign: what `GET /v1/campaigns/{id}/report`
/// serves, `parloir report` prints and `parloir dashboard` draws. Built from stored figures
/// only; nothing is measured again.
///
/// JSON keys are the property names in snake case (`JSONEncoder.keyEncodingStrategy =
/// .convertToSnakeCase`); see `CampaignReport.encoder` and `CampaignReport.decoder`.
public struct CampaignReport: Sendable, Codable, Equatable {
    public var campaignId: String
    public var campaignName: String
    public var generatedAt: Date
    public var totals: Totals
    /// Rejected takes by reason code, most frequent first (a take can have several reasons).
    public var rejections: [ReasonCount]
    /// Uploads in each of the last 60 minutes, oldest first.
    public var uploadsPerMinute: [Int]
    /// SNR of every take, in 5 dB bins.
    public var snrHistogram: [HistogramBin]
    /// Duration of every take, in 1 s bins.
    public var durationHistogram: [HistogramBin]
    public var quotas: [QuotaFill]
    public var speakerCap: SpeakerCap
    public var verification: VerificationSummary
    public var noise: NoiseSummary
    /// Workers under their pseudonymous ids, most takes first.
    public var workers: [WorkerAggregate]
    /// Members erased at their request: their takes are gone from every other figure, their pay
    /// stays in `totals.paid_cents`.
    public var erasures: ErasureTally

    public struct Totals: Sendable, Codable, Equatable {
        public var prompts: Int
        public var plannedRecordings: Int
        public var takes: Int
        public var accepted: Int
        public var rejected: Int
        public var acceptedHours: Double
        /// Distinct speakers with an accepted take.
        public var speakers: Int
        /// Distinct workers with any take.
        public var workers: Int
        /// Everything booked to the campaign's ledger, the pay of erased members included.
        public var paidCents: Int
    }

    public struct ReasonCount: Sendable, Codable, Equatable {
        public var code: String
        public var takes: Int
    }

    /// Takes with a figure in `[lower, upper)`; the first bin has no lower edge, the last no upper.
    public struct HistogramBin: Sendable, Codable, Equatable {
        public var lower: Double?
        public var upper: Double?
        public var takes: Int
    }

    /// One dimension's (or joint combination's) cells.
    public struct QuotaFill: Sendable, Codable, Equatable {
        /// `accent`, or `accent×gender`.
        public var name: String
        public var unit: QuotaUnit
        public var cells: [CellFill]
    }

    public struct CellFill: Sendable, Codable, Equatable {
        public var value: String
        public var target: Double?
        public var min: Double?
        public var max: Double?
        /// Accepted, in the quota's unit.
        public var actual: Double
        /// Assigned and not yet recorded, in the quota's unit.
        public var inFlight: Double
        public var state: QuotaState?
        public var recordings: Int
        public var hours: Double
        public var speakers: Int
    }

    public struct SpeakerCap: Sendable, Codable, Equatable {
        public var share: Double
        /// Accepted takes a speaker may reach.
        public var recordings: Int
        public var speakersAtCap: Int
        public var largestSpeakerRecordings: Int
    }

    public struct VerificationSummary: Sendable, Codable, Equatable {
        /// Tasks waiting or leased, by kind.
        public var backlog: [String: Int]
        public var backlogTotal: Int
        public var pendingAppeals: Int
        public var verified: Int
        public var doubleReviews: Int
        public var verdictAgreement: Double?
        public var doubleReviewWer: Double?
        public var errorRate: Double?
        public var intervalLow: Double?
        public var intervalHigh: Double?
    }

    public struct NoiseSummary: Sendable, Codable, Equatable {
        /// Takes by declared condition and measured class (`undeclared`/`unmeasured` when missing).
        public var pairs: [NoisePair]
        /// Takes whose measured class is not one their declared condition allows.
        public var mismatches: Int
        public var compared: Int
    }

    public struct NoisePair: Sendable, Codable, Equatable {
        public var declared: String
        public var measured: String
        public var takes: Int
        public var mismatch: Bool
    }

    public struct WorkerAggregate: Sendable, Codable, Equatable {
        public var workerId: String
        public var takes: Int
        public var accepted: Int
        public var rejectionRate: Double
        public var verified: Int
        public var wrong: Int
        public var verifiedErrorRate: Double?
        public var earningsCents: Int
        /// Seconds of audio over all the worker's takes.
        public var audioSeconds: Double
        /// Euro cents per hour: earnings over audio time plus the campaign's overhead per take.
        public var effectiveHourlyCents: Double?
        /// `rejections` or `errors` when the worker's rate stands out from the campaign's.
        public var flags: [String]
    }

    /// The encoder for the report's JSON (snake-case keys, ISO 8601 dates, sorted keys).
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }

    /// The decoder matching `encoder`.
    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

/// The stored figures a report is built from, as a store gathers them in one read.
public struct ReportInputs: Sendable {
    public var promptCount = 0
    public var takes = 0
    public var accepted = 0
    public var acceptedSeconds = 0.0
    public var speakers = 0
    public var workers = 0
    /// Pay booked, the erased members' included.
    public var paidCents = 0
    public var erasures = ErasureTally()
    public var rejections: [String: Int] = [:]
    /// Uploads in each of the last 60 minutes, oldest first.
    public var uploadsPerMinute = [Int](repeating: 0, count: 60)
    /// SNR (dB) and duration (s) of every take, when measured.
    public var snr: [Double] = []
    public var durations: [Double] = []
    /// Accepted and in-flight tallies per stored value combination, per quota group name.
    public var groups: [String: [GroupTally]] = [:]
    public var acceptedBySpeaker: [Int] = []
    public var quality: (observations: [QualityEstimate.Observation], accepted: Int, certain: Int, agreement: (pairs: Int, agreeing: Int)) = ([], 0, 0, (0, 0))
    public var doubleReviewWER: Double?
    public var backlog: [String: Int] = [:]
    public var pendingAppeals = 0
    /// Takes by declared condition and measured class.
    public var noise: [(declared: String?, measured: String?, takes: Int)] = []
    public var workerTallies: [WorkerTally] = []

    /// Empty figures, filled in by a store.
    public init() {}
}

/// Accepted and in-flight amounts for one combination of stored values (nil: undeclared).
public struct GroupTally: Sendable, Equatable {
    public var values: [String?]
    public var accepted: QuotaTally
    public var inFlight: QuotaTally

    public init(values: [String?], accepted: QuotaTally, inFlight: QuotaTally) {
        self.values = values
        self.accepted = accepted
        self.inFlight = inFlight
    }
}

/// One worker's stored figures in a campaign.
public struct WorkerTally: Sendable, Equatable {
    public var workerID: String
    public var takes: Int
    public var accepted: Int
    public var seconds: Double
    public var verified: Int
    public var wrong: Int
    public var earningsCents: Int

    public init(workerID: String, takes: Int, accepted: Int, seconds: Double, verified: Int, wrong: Int, earningsCents: Int) {
        self.workerID = workerID
        self.takes = takes
        self.accepted = accepted
        self.seconds = seconds
        self.verified = verified
        self.wrong = wrong
        self.earningsCents = earningsCents
    }
}

extension CampaignReport {
    /// Builds the report of `campaign` from its stored figures.
    public init(campaign: Campaign, inputs: ReportInputs, now: Date) {
        let plan = QuotaPlan(spec: campaign.spec, promptCount: inputs.promptCount)
        campaignId = campaign.id
        campaignName = campaign.spec.name
        generatedAt = now
        totals = Totals(prompts: inputs.promptCount, plannedRecordings: plan.plannedRecordings, takes: inputs.takes,
                        accepted: inputs.accepted, rejected: inputs.takes - inputs.accepted, acceptedHours: inputs.acceptedSeconds / 3600,
                        speakers: inputs.speakers, workers: inputs.workers, paidCents: inputs.paidCents)
        rejections = inputs.rejections.map { ReasonCount(code: $0.key, takes: $0.value) }
            .sorted { ($0.takes, $1.code) > ($1.takes, $0.code) }
        uploadsPerMinute = inputs.uploadsPerMinute
        snrHistogram = Self.histogram(inputs.snr, from: 0, to: 50, step: 5)
        durationHistogram = Self.histogram(inputs.durations, from: 1, to: 12, step: 1)
        quotas = plan.groups.map { group in Self.fill(group, plan: plan, tallies: inputs.groups[group.name] ?? []) }
        let cap = plan.speakerCapRecordings
        speakerCap = SpeakerCap(share: plan.speakerCapShare, recordings: cap,
                                speakersAtCap: inputs.acceptedBySpeaker.filter { $0 >= cap }.count,
                                largestSpeakerRecordings: inputs.acceptedBySpeaker.max() ?? 0)
        let estimate = QualityEstimate(observations: inputs.quality.observations, accepted: inputs.quality.accepted, certain: inputs.quality.certain)
        verification = VerificationSummary(
            backlog: inputs.backlog, backlogTotal: inputs.backlog.values.reduce(0, +), pendingAppeals: inputs.pendingAppeals,
            verified: inputs.quality.observations.count, doubleReviews: inputs.quality.agreement.pairs,
            verdictAgreement: inputs.quality.agreement.pairs > 0 ? Double(inputs.quality.agreement.agreeing) / Double(inputs.quality.agreement.pairs) : nil,
            doubleReviewWer: inputs.doubleReviewWER, errorRate: estimate?.rate, intervalLow: estimate?.lower, intervalHigh: estimate?.upper)
        noise = Self.noise(inputs.noise)
        workers = Self.workers(inputs.workerTallies, overhead: campaign.spec.overheadSecondsPerTake)
        erasures = inputs.erasures
    }

    static func histogram(_ values: [Double], from lower: Double, to upper: Double, step: Double) -> [HistogramBin] {
        let count = Int(((upper - lower) / step).rounded()) + 2
        var bins = (0..<count).map { index in
            HistogramBin(lower: index == 0 ? nil : lower + Double(index - 1) * step,
                         upper: index == count - 1 ? nil : lower + Double(index) * step, takes: 0)
        }
        for value in values where value.isFinite {
            let index = value < lower ? 0 : Swift.min(count - 1, Int((value - lower) / step) + 1)
            bins[index].takes += 1
        }
        return bins
    }

    static func fill(_ group: QuotaPlan.Group, plan: QuotaPlan, tallies: [GroupTally]) -> QuotaFill {
        var byValue: [String: (accepted: QuotaTally, inFlight: QuotaTally)] = [:]
        for tally in tallies {
            let value = zip(tally.values, group.values).map { QuotaPlan.cellValue($0, listed: $1) }.joined(separator: "/")
            let current = byValue[value] ?? (QuotaTally(), QuotaTally())
            byValue[value] = (current.accepted + tally.accepted, current.inFlight + tally.inFlight)
        }
        // Every listed value (or target) shows, recorded or not; then whatever else was recorded.
        var values: [String] = []
        if group.dimensions.count == 1, let listed = group.values[0] { values = listed }
        values += group.targets.keys.filter { $0 != "*" && !values.contains($0) }.sorted()
        values += byValue.keys.filter { !values.contains($0) }.sorted()
        let cells = values.map { value in
            let cell = plan.cell(group, value: value)
            let (accepted, inFlight) = byValue[value] ?? (QuotaTally(), QuotaTally())
            let actual = accepted.amount(group.unit)
            return CellFill(value: value, target: cell.target, min: cell.min, max: cell.max, actual: actual,
                            inFlight: group.unit == .hours ? Double(inFlight.recordings) * (accepted.recordings > 0 ? accepted.seconds / Double(accepted.recordings) : 0) / 3600
                                                           : inFlight.amount(group.unit),
                            state: cell.hasBounds ? QuotaState.of(actual, in: cell) : nil,
                            recordings: accepted.recordings, hours: accepted.seconds / 3600, speakers: accepted.speakers)
        }
        return QuotaFill(name: group.name, unit: group.unit, cells: cells)
    }

    static func noise(_ rows: [(declared: String?, measured: String?, takes: Int)]) -> NoiseSummary {
        var pairs: [NoisePair] = []
        var mismatches = 0
        var compared = 0
        for row in rows {
            var mismatch = false
            if let declared = row.declared.flatMap(NoiseCondition.init(rawValue:)), let measured = row.measured.flatMap(MeasuredNoise.init(rawValue:)) {
                compared += row.takes
                mismatch = !declared.expectedMeasurements.contains(measured)
                if mismatch { mismatches += row.takes }
            }
            pairs.append(NoisePair(declared: row.declared ?? "undeclared", measured: row.measured ?? "unmeasured", takes: row.takes, mismatch: mismatch))
        }
        pairs.sort { ($0.declared, $0.measured) < ($1.declared, $1.measured) }
        return NoiseSummary(pairs: pairs, mismatches: mismatches, compared: compared)
    }

    /// A worker stands out when their rate is more than 3 binomial standard errors above the
    /// campaign's, over enough takes for that to mean something.
    static func workers(_ tallies: [WorkerTally], overhead: Double) -> [WorkerAggregate] {
        let takes = tallies.reduce(0) { $0 + $1.takes }
        let rejected = tallies.reduce(0) { $0 + $1.takes - $1.accepted }
        let verified = tallies.reduce(0) { $0 + $1.verified }
        let wrong = tallies.reduce(0) { $0 + $1.wrong }
        func standsOut(_ count: Int, of total: Int, campaign rate: Double, minimum: Int) -> Bool {
            guard total >= minimum else { return false }
            let base = Swift.min(Swift.max(rate, 0.01), 0.99)
            return Double(count) / Double(total) > base + 3 * (base * (1 - base) / Double(total)).squareRoot()
        }
        let rejectionRate = takes > 0 ? Double(rejected) / Double(takes) : 0
        let errorRate = verified > 0 ? Double(wrong) / Double(verified) : 0
        return tallies.map { worker in
            var flags: [String] = []
            if standsOut(worker.takes - worker.accepted, of: worker.takes, campaign: rejectionRate, minimum: 5) { flags.append("rejections") }
            if standsOut(worker.wrong, of: worker.verified, campaign: errorRate, minimum: 3) { flags.append("errors") }
            let hours = (worker.seconds + overhead * Double(worker.takes)) / 3600
            return WorkerAggregate(
                workerId: worker.workerID, takes: worker.takes, accepted: worker.accepted,
                rejectionRate: worker.takes > 0 ? Double(worker.takes - worker.accepted) / Double(worker.takes) : 0,
                verified: worker.verified, wrong: worker.wrong,
                verifiedErrorRate: worker.verified > 0 ? Double(worker.wrong) / Double(worker.verified) : nil,
                earningsCents: worker.earningsCents, audioSeconds: worker.seconds,
                effectiveHourlyCents: hours > 0 ? Double(worker.earningsCents) / hours : nil, flags: flags)
        }.sorted { ($0.takes, $1.workerId) > ($1.takes, $0.workerId) }
    }
}
