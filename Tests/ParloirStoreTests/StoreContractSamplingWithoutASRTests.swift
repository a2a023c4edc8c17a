import Foundation
import ParloirCore
import ParloirStore
import Testing

/// Sampling the takes no ASR transcript came for (`sampleWithoutTranscript`), on every engine.
struct StoreContractSamplingWithoutASRTests {
    static let policy: @Sendable (String) -> SamplingPolicy = { _ in everyTakeChecked }

    @Test(arguments: Engine.available)
    func takesWithoutATranscriptAreSampledOnceTheWaitIsOver(engine: Engine) async throws {
        try await withStore(engine) { store in
            let fixture = Fixture(store: store)
            let campaign = try await fixture.campaign(spec: Fixture.spec(speakersPerPrompt: 10), prompts: 1)
            let old = try await fixture.acceptedTake(campaign, by: try await fixture.member("w-old"), at: Fixture.t0)
            let transcribed = try await fixture.acceptedTake(campaign, by: try await fixture.member("w-asr"), at: Fixture.t0)
            let recent = try await fixture.acceptedTake(campaign, by: try await fixture.member("w-new"), at: Fixture.t0.addingTimeInterval(500))
            try await fixture.upload(try await fixture.assign(campaign, try await fixture.member("w-rej")), campaign: campaign, accepted: false)
            _ = try await store.saveTranscript(recordingID: transcribed.id, engine: "whisper", text: Fixture.sentences[0], confidence: nil,
                                               wer: 0, policy: everyTakeChecked, doubleReviewRate: 0, now: Fixture.t0)

            // Ten minutes after the first takes: only the old take without a transcript is due.
            let now = Fixture.t0.addingTimeInterval(600)
            #expect(try await store.sampleWithoutTranscript(acceptedBefore: now.addingTimeInterval(-600), policy: Self.policy,
                                                            doubleReviewRate: 0, now: now, limit: 100) == 1)
            // Sampled as if the ASR had agreed: the worker's first take is on probation.
            let claimed = try await store.claimTask(verifierID: "v-1", now: now, lease: 600, taskID: "t-1")
            let second = try await store.claimTask(verifierID: "v-1", now: now, lease: 600, taskID: "t-2")
            #expect(Set([claimed?.recordingID, second?.recordingID]) == [old.id, transcribed.id])
            #expect(claimed?.kind == .sample && second?.kind == .sample)
            #expect(try await store.takesSampledWithoutASR(campaignID: campaign.id) == 1)

            // Decided once: again finds nothing; the recent take's turn comes with its wait.
            #expect(try await store.sampleWithoutTranscript(acceptedBefore: now.addingTimeInterval(-600), policy: Self.policy,
                                                            doubleReviewRate: 0, now: now, limit: 100) == 0)
            let later = Fixture.t0.addingTimeInterval(1100)
            #expect(try await store.sampleWithoutTranscript(acceptedBefore: later.addingTimeInterval(-600), policy: Self.policy,
                                                            doubleReviewRate: 0, now: later, limit: 100) == 1)
            #expect(try await store.claimTask(verifierID: "v-2", now: later, lease: 600, taskID: "t-3")?.recordingID != nil)
            #expect(try await store.takesSampledWithoutASR(campaignID: campaign.id) == 2)

            // A transcript arriving after the decision is kept, and decides nothing more.
            #expect(try await store.saveTranscript(recordingID: recent.id, engine: "whisper", text: "autre chose", confidence: nil,
                                                   wer: 1, policy: everyTakeChecked, doubleReviewRate: 0, now: later).isEmpty)
            #expect(try await store.takesSampledWithoutASR(campaignID: campaign.id) == 2)
        }
    }

    @Test(arguments: Engine.available)
    func twoReplicasRunningTheJobAtOnceSampleEachTakeOnce(engine: Engine) async throws {
        try await withStores(engine, replicas: 2) { replicas, database in
            let fixture = Fixture(store: replicas[0])
            let campaign = try await fixture.campaign(spec: Fixture.spec(speakersPerPrompt: 40), prompts: 1)
            for index in 0..<30 {
                try await fixture.acceptedTake(campaign, by: try await fixture.member("w-\(index)"))
            }
            let now = Fixture.t0.addingTimeInterval(600)
            // Four runs at once, two per replica, in batches small enough to interleave.
            let decided = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<4 {
                    let store = replicas[index % 2]
                    group.addTask {
                        var total = 0
                        while true {
                            let count = try await store.sampleWithoutTranscript(acceptedBefore: now, policy: Self.policy,
                                                                                 doubleReviewRate: 0, now: now, limit: 4)
                            total += count
                            if count == 0 { return total }
                        }
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(decided == 30)
            let tasks = try await database.rows("SELECT CAST(COUNT(*) AS TEXT) FROM task")
            #expect(tasks == ["30"])
            let perTake = try await database.rows("SELECT CAST(MAX(n) AS TEXT) FROM (SELECT COUNT(*) AS n FROM task GROUP BY recording_id) AS c")
            #expect(perTake == ["1"])
            #expect(try await replicas[1].takesSampledWithoutASR(campaignID: campaign.id) == 30)
        }
    }
}
