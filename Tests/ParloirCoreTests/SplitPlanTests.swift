import ParloirCore
import Testing

/// Train/dev/test splits: speaker-disjoint, deterministic, balanced by accent and gender,
/// optionally prompt-disjoint.
@Suite struct SplitPlanTests {
    /// 60 speakers (3 accents × 2 genders × 10), each reading 8 of 40 prompts.
    static let items = takes(speakers: 60)

    /// `speakers` speakers (accents and genders in turn), each reading 8 of 40 prompts.
    static func takes(speakers: Int) -> [ExportItem] {
        (0..<speakers).flatMap { speaker in
            (0..<8).map { take in
                let prompt = Int64((speaker * 3 + take * 5) % 40)
                return ExportItem(recordingId: "rec-\(speaker)-\(take)", workerId: "w-\(speaker)", promptId: prompt, promptText: "phrase \(prompt)",
                                  domain: nil, sentence: "phrase \(prompt)", outcome: "validated", asrText: nil, durationS: 3, sampleRate: 16_000,
                                  snrDb: 30, accent: ["belge", "suisse", "quebecois"][speaker % 3], region: nil,
                                  gender: speaker % 2 == 0 ? "female" : "male", ageBand: nil, noiseCondition: nil, sha256: "\(speaker)-\(take)",
                                  contentType: "audio/wav", upVotes: 1, downVotes: 0)
            }
        }
    }

    @Test func speakersStayInOneSplitAndProportionsHold() throws {
        let splits = try SplitPlan(seed: 3).assign(Self.items) { $0.workerId }
        #expect(splits.count == Self.items.count)
        var speakerSplits: [String: Set<Split>] = [:]
        for item in Self.items { speakerSplits[item.workerId, default: []].insert(splits[item.recordingId]!) }
        #expect(speakerSplits.values.allSatisfy { $0.count == 1 })
        let train = splits.values.filter { $0 == .train }.count, dev = splits.values.filter { $0 == .dev }.count
        #expect(train == 384 && dev == 48)
    }

    @Test func everyStratumReachesEverySplit() throws {
        let splits = try SplitPlan(seed: 11).assign(Self.items) { $0.workerId }
        for accent in ["belge", "suisse", "quebecois"] {
            for split in Split.allCases {
                #expect(Self.items.contains { $0.accent == accent && splits[$0.recordingId] == split }, "\(accent) in \(split)")
            }
        }
    }

    @Test func theSameSeedGivesTheSameSplitsAndAnotherSeedOthers() throws {
        let plan = SplitPlan(seed: 42)
        #expect(try plan.assign(Self.items) { $0.workerId } == plan.assign(Self.items.reversed()) { $0.workerId })
        #expect(try plan.assign(Self.items) { $0.workerId } != SplitPlan(seed: 43).assign(Self.items) { $0.workerId })
    }

    @Test func promptDisjointSplitsShareNoPrompt() throws {
        let splits = try SplitPlan(seed: 5, promptDisjoint: true).assign(Self.items) { $0.workerId }
        var promptSplits: [Int64: Set<Split>] = [:]
        for item in Self.items { if let split = splits[item.recordingId] { promptSplits[item.promptId, default: []].insert(split) } }
        #expect(promptSplits.values.allSatisfy { $0.count == 1 })
        #expect(splits.count < Self.items.count && splits.count > Self.items.count / 2)
    }

    @Test func proportionsAreParsed() {
        #expect(SplitPlan.shares("80/10/10") == [0.8, 0.1, 0.1])
        #expect(SplitPlan.shares("2/1/1") == [0.5, 0.25, 0.25])
        #expect(SplitPlan.shares("80/20") == nil && SplitPlan.shares("a/b/c") == nil && SplitPlan.shares("0/0/0") == nil)
    }

    static let shareSets: [[Double]] = [[80, 10, 10], [98, 1, 1], [90, 10, 0], [1, 1, 98], [0, 50, 50], [34, 33, 33], [100, 0, 0]]
        .map { shares in shares.map { $0 / shares.reduce(0, +) } }

    /// From 3 to 12 speakers, at every seed tried: each split asked for gets a speaker, the
    /// others none, no speaker is in two splits, and each count stays near its share.
    @Test(arguments: 3...12)
    func everySplitAskedForGetsASpeaker(speakers: Int) throws {
        let items = Self.takes(speakers: speakers)
        for shares in Self.shareSets {
            for seed in UInt64(0)..<20 {
                let splits = try SplitPlan(shares: shares, seed: seed).assign(items) { $0.workerId }
                #expect(splits.count == items.count)
                var speakerSplits: [String: Set<Split>] = [:]
                for item in items { speakerSplits[item.workerId, default: []].insert(splits[item.recordingId]!) }
                #expect(speakerSplits.values.allSatisfy { $0.count == 1 })
                let nonZero = shares.filter { $0 > 0 }.count
                for (index, split) in Split.allCases.enumerated() {
                    let count = speakerSplits.values.filter { $0 == [split] }.count
                    if shares[index] > 0 {
                        #expect(count >= 1, "\(speakers) speakers at \(shares), seed \(seed): \(split) is empty")
                    } else {
                        #expect(count == 0, "\(split) was asked for no share")
                    }
                    #expect(abs(Double(count) - shares[index] * Double(speakers)) < Double(nonZero), "\(split) far from its share")
                }
            }
        }
    }

    @Test func sixSpeakersAtEightyTenTenFillTheTestSplit() throws {
        let items = Self.takes(speakers: 6)
        let splits = try SplitPlan(shares: [0.8, 0.1, 0.1], seed: 0).assign(items) { $0.workerId }
        for split in Split.allCases { #expect(splits.values.contains(split), "\(split)") }
    }

    @Test func fewerSpeakersThanSplitsAskedForIsRefused() {
        #expect(throws: SplitPlanError.tooFewSpeakers(speakers: 2, splits: [.train, .dev, .test])) {
            try SplitPlan(shares: [0.8, 0.1, 0.1]).assign(Self.takes(speakers: 2)) { $0.workerId }
        }
        #expect(throws: SplitPlanError.tooFewSpeakers(speakers: 1, splits: [.train, .dev])) {
            try SplitPlan(shares: [0.9, 0.1, 0]).assign(Self.takes(speakers: 1)) { $0.workerId }
        }
        #expect(SplitPlanError.tooFewSpeakers(speakers: 2, splits: [.train, .dev, .test]).description.contains("2 speakers cannot fill 3"))
        // As many speakers as splits asked for: one each.
        #expect(throws: Never.self) { try SplitPlan(shares: [0.9, 0.1, 0]).assign(Self.takes(speakers: 2)) { $0.workerId } }
    }
}
