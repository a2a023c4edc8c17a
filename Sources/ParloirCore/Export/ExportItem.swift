import Foundation

/// One recording as a dataset export sees it: its audio, what was said, who said it (under an
/// export pseudonym), and what QC and verification made of it.
public struct ExportItem: Sendable, Codable, Equatable {
    public var recordingId: String
    /// The worker's id in the service; never written to an export (see `speaker`).
    public var workerId: String
    public var promptId: Int64
    public var promptText: String
    public var domain: String?
    /// The verified transcript when there is one, the prompt otherwise.
    public var sentence: String
    /// `validated` or `invalidated` once verified; nil before.
    public var outcome: String?
    /// Latest ASR hypothesis, when an engine transcribed the take.
    public var asrText: String?
    public var durationS: Double
    public var sampleRate: Int
    public var snrDb: Double?
    public var accent: String?
    public var region: String?
    public var gender: String?
    public var ageBand: String?
    public var noiseCondition: String?
    public var sha256: String
    public var contentType: String
    /// Reviews that found the take usable, and unusable.
    public var upVotes: Int
    public var downVotes: Int

    public init(recordingId: String, workerId: String, promptId: Int64, promptText: String, domain: String?, sentence: String,
                outcome: String?, asrText: String?, durationS: Double, sampleRate: Int, snrDb: Double?, accent: String?, region: String?,
                gender: String?, ageBand: String?, noiseCondition: String?, sha256: String, contentType: String, upVotes: Int, downVotes: Int) {
        self.recordingId = recordingId
        self.workerId = workerId
        self.promptId = promptId
        self.promptText = promptText
        self.domain = domain
        self.sentence = sentence
        self.outcome = outcome
        self.asrText = asrText
        self.durationS = durationS
        self.sampleRate = sampleRate
        self.snrDb = snrDb
        self.accent = accent
        self.region = region
        self.gender = gender
        self.ageBand = ageBand
        self.noiseCondition = noiseCondition
        self.sha256 = sha256
        self.contentType = contentType
        self.upVotes = upVotes
        self.downVotes = downVotes
    }
}

/// Which recordings an export delivers.
public enum ExportStatus: String, Sendable, Codable, CaseIterable {
    /// Verified by people: outcome `validated`.
    case validated
    /// Every take the DSP core accepted that people did not find unusable.
    case accepted

    /// Whether `item` belongs in the delivered (train/dev/test) set.
    public func includes(_ item: ExportItem) -> Bool {
        switch self {
        case .validated: return item.outcome == "validated"
        case .accepted: return item.outcome != "invalidated"
        }
    }
}

/// What an export needs from a store: the campaign's accepted takes (and those verification
/// invalidated), and its report for the datasheet.
public struct ExportBundle: Sendable, Codable, Equatable {
    public var campaign: Campaign
    public var items: [ExportItem]
    public var report: CampaignReport

    public init(campaign: Campaign, items: [ExportItem], report: CampaignReport) {
        self.campaign = campaign
        self.items = items
        self.report = report
    }

    /// Snake-case JSON with ISO 8601 dates, as served by `GET /v1/campaigns/{id}/export`.
    public static var encoder: JSONEncoder { CampaignReport.encoder }
    public static var decoder: JSONDecoder { CampaignReport.decoder }

    enum CodingKeys: String, CodingKey {
        case campaignId, campaignCreatedAt, campaignSpec, items, report
    }

    // The spec keeps its own key names (`prompt_files`, rule names): it travels as the JSON
    // text a plain encoder makes, untouched by the snake-case key strategy around it.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(campaign.id, forKey: .campaignId)
        try container.encode(campaign.createdAt, forKey: .campaignCreatedAt)
        try container.encode(String(decoding: try JSONEncoder().encode(campaign.spec), as: UTF8.self), forKey: .campaignSpec)
        try container.encode(items, forKey: .items)
        try container.encode(report, forKey: .report)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let spec = try JSONDecoder().decode(CampaignSpec.self, from: Data(try container.decode(String.self, forKey: .campaignSpec).utf8))
        campaign = Campaign(id: try container.decode(String.self, forKey: .campaignId), spec: spec,
                            createdAt: try container.decode(Date.self, forKey: .campaignCreatedAt))
        items = try container.decode([ExportItem].self, forKey: .items)
        report = try container.decode(CampaignReport.self, forKey: .report)
    }
}

/// Train, dev and test.
public enum Split: String, Sendable, Codable, CaseIterable {
    case train, dev, test
}

/// Train/dev/test assignment: speaker-disjoint, deterministic for a seed, balanced by accent
/// and gender, optionally prompt-disjoint.
///
/// Speakers are grouped into strata (accent × gender) and shuffled within each by a hash of the
/// seed and their pseudonym; each stratum's speakers are apportioned, whole, to train, dev and
/// test in the asked proportions, with the rounding carried from stratum to stratum. Every
/// large enough stratum thus reaches every split, small ones take turns, the whole keeps the
/// proportions (in speakers), and no speaker is in two splits. Prompt-disjoint exports then
/// keep each prompt in the split holding most of its utterances and leave its other
/// utterances out.
///
/// Every split asked for a non-zero share gets at least one speaker: a split that rounding
/// leaves empty takes a speaker from the split holding most (an empty test split reads as no
/// data in Lhotse, and Common Voice recipes refuse it). With fewer speakers than non-zero
/// shares the plan is refused.
public struct SplitPlan: Sendable, Equatable {
    /// Shares of train, dev and test (summing to 1).
    public var shares: [Double]
    public var seed: UInt64
    public var promptDisjoint: Bool

    public init(shares: [Double] = [0.8, 0.1, 0.1], seed: UInt64 = 0, promptDisjoint: Bool = false) {
        self.shares = shares
        self.seed = seed
        self.promptDisjoint = promptDisjoint
    }

    /// Parses `80/10/10`; the parts must be three non-negative numbers with a positive sum.
    public static func shares(_ text: String) -> [Double]? {
        let parts = text.split(separator: "/").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 3, parts.allSatisfy({ $0 != nil && $0! >= 0 && $0!.isFinite }) else { return nil }
        let values = parts.map { $0! }
        let total = values.reduce(0, +)
        guard total > 0 else { return nil }
        return values.map { $0 / total }
    }

    /// The split of each item's recording id; items left out for prompt-disjointness are absent.
    /// Throws when a split asked for a non-zero share would be empty.
    public func assign(_ items: [ExportItem], speaker: (ExportItem) -> String) throws(SplitPlanError) -> [String: Split] {
        var bySpeaker: [String: [ExportItem]] = [:]
        for item in items { bySpeaker[speaker(item), default: []].append(item) }
        var strata: [String: [String]] = [:]
        let wanted = Split.allCases.indices.filter { shares[$0] > 0 }
        if !bySpeaker.isEmpty, bySpeaker.count < wanted.count {
            throw .tooFewSpeakers(speakers: bySpeaker.count, splits: wanted.map { Split.allCases[$0] })
        }
        for (id, own) in bySpeaker {
            let first = own[0]
            strata["\(first.accent ?? "")|\(first.gender ?? "")", default: []].append(id)
        }
        // Strata in a seeded order; each gets the speakers its share of the running total calls
        // for (largest remainders on the cumulative count), so even strata of one speaker
        // reach dev and test in turn, and the whole keeps the asked proportions.
        let order = strata.keys.sorted {
            (SamplingPolicy.uniform("stratum/" + $0, seed: seed), $0) < (SamplingPolicy.uniform("stratum/" + $1, seed: seed), $1)
        }
        var speakerSplit: [String: Split] = [:]
        var inOrder: [String] = []
        var cumulative = 0
        var assigned = [0, 0, 0]
        for key in order {
            let members = strata[key]!.sorted {
                (SamplingPolicy.uniform($0, seed: seed), $0) < (SamplingPolicy.uniform($1, seed: seed), $1)
            }
            inOrder += members
            cumulative += members.count
            let raw = shares.map { $0 * Double(cumulative) }
            var counts = raw.map { Int($0.rounded(.down)) }
            let remainders = raw.indices.sorted { (raw[$0] - Double(counts[$0]), -$0) > (raw[$1] - Double(counts[$1]), -$1) }
            for index in remainders.prefix(cumulative - counts.reduce(0, +)) { counts[index] += 1 }
            var here = (0..<3).map { max(0, counts[$0] - assigned[$0]) }
            // Rounding can ask for more or fewer than the stratum has: train absorbs the difference.
            here[0] += members.count - here.reduce(0, +)
            if here[0] < 0 {
                for index in [2, 1] where here[0] < 0 {
                    let moved = min(here[index], -here[0])
                    here[index] -= moved
                    here[0] += moved
                }
            }
            var next = 0
            for (index, count) in here.enumerated() {
                for member in members[next..<(next + count)] { speakerSplit[member] = Split.allCases[index] }
                next += count
                assigned[index] += count
            }
        }
        // Rounding to whole speakers can leave a small share with none (6 speakers at 80/10/10
        // give 5/1/0): the split holding most gives its last drawn speaker. With at least as
        // many speakers as non-zero shares, that split holds two or more, so it stays non-empty.
        for index in wanted where assigned[index] == 0 && !inOrder.isEmpty {
            let donor = assigned.indices.max { (assigned[$0], -$0) < (assigned[$1], -$1) }!
            let moved = inOrder.last { speakerSplit[$0] == Split.allCases[donor] }!
            speakerSplit[moved] = Split.allCases[index]
            assigned[donor] -= 1
            assigned[index] += 1
        }
        var result: [String: Split] = [:]
        for item in items { result[item.recordingId] = speakerSplit[speaker(item)] }
        guard promptDisjoint else { return result }
        var promptCounts: [Int64: [Int]] = [:]
        for item in items {
            guard let split = result[item.recordingId] else { continue }
            promptCounts[item.promptId, default: [0, 0, 0]][Split.allCases.firstIndex(of: split)!] += 1
        }
        for item in items {
            guard let counts = promptCounts[item.promptId] else { continue }
            // Most utterances win; ties go to the smaller held-out splits, which need prompts most.
            let keep = counts.indices.max { counts[$0] < counts[$1] || (counts[$0] == counts[$1] && $0 < $1) } ?? 0
            if result[item.recordingId] != Split.allCases[keep] { result[item.recordingId] = nil }
        }
        return result
    }
}

/// Why a split plan cannot be honoured, in a sentence.
public enum SplitPlanError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Fewer speakers than splits asked for a non-zero share: speaker-disjoint splits cannot all have one.
    case tooFewSpeakers(speakers: Int, splits: [Split])

    public var description: String {
        switch self {
        case let .tooFewSpeakers(speakers, splits):
            let names = splits.map(\.rawValue).joined(separator: ", ")
            return "\(speakers) speaker\(speakers == 1 ? "" : "s") cannot fill \(splits.count) speaker-disjoint splits (\(names)); "
                + "give a zero share to the splits you can do without (for example --splits \(speakers == 1 ? "100/0/0" : "90/10/0")) or collect more speakers"
        }
    }
}
