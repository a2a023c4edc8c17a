import ParloirCore
import Testing

/// Train/dev/test splits: speaker-disjoint, deterministic, balanced by accent and gender,
/// optionally prompt-disjoint.
@Suite struct SplitPlanTests {
    /// 60 speakers (3 accents × 2 genders × 10), each reading 8 of 40 prompts.
    static let items: [ExportItem] = (0..<60).flatMap { speaker in
        (0..<8).map { take in
            let prompt = Int64((speaker * 3 + take * 5) % 40)
            return ExportItem(recordingId: "rec-\(speaker)-\(take)", workerId: "w-\(speaker)", promptId: prompt, promptText: "phrase \(prompt)",
                              domain: nil, sentence: "phrase \(prompt)", outcome: "validated", asrText: nil, durationS: 3, sampleRate: 16_000,
                              snrDb: 30, accent: ["belge", "suisse", "quebecois"][speaker % 3], region: nil,
                              gender: speaker % 2 == 0 ? "female" : "male", ageBand: nil, noiseCondition: nil, sha256: "\(speaker)-\(take)",
                              contentType: "audio/wav", upVotes: 1, downVotes: 0)
        }
    }

    @Test func speakersStayInOneSplitAndProportionsHold() {
        let splits = SplitPlan(seed: 3).assign(Self.items) { $0.workerId }
        #expect(splits.count == Self.items.count)
        var speakerSplits: [String: Set<Split>] = [:]
        for item in Self.items { speakerSplits[item.workerId, default: []].insert(splits[item.recordingId]!) }
        #expect(speakerSplits.values.allSatisfy { $0.count == 1 })
        let train = splits.values.filter { $0 == .train }.count, dev = splits.values.filter { $0 == .dev }.count
        #expect(train == 384 && dev == 48)
    }

    @Test func everyStratumReachesEverySplit() {
        let splits = SplitPlan(seed: 11).assign(Self.items) { $0.workerId }
        for accent in ["belge", "suisse", "quebecois"] {
            for split in Split.allCases {
                #expect(Self.items.contains { $0.accent == accent && splits[$0.recordingId] == split }, "\(accent) in \(split)")
            }
        }
    }

    @Test func theSameSeedGivesTheSameSplitsAndAnotherSeedOthers() {
        let plan = SplitPlan(seed: 42)
        #expect(plan.assign(Self.items) { $0.workerId } == plan.assign(Self.items.reversed()) { $0.workerId })
        #expect(plan.assign(Self.items) { $0.workerId } != SplitPlan(seed: 43).assign(Self.items) { $0.workerId })
    }

    @Test func promptDisjointSplitsShareNoPrompt() {
        let splits = SplitPlan(seed: 5, promptDisjoint: true).assign(Self.items) { $0.workerId }
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
}
