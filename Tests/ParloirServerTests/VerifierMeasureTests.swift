import Foundation
import HTTPTypes
import ParloirCore
import ParloirServer
import ParloirStore
import Testing

/// Gold items and double reviews measure the verifiers.
struct VerifierMeasureTests {
    @Test func goldItemsAndDoubleReviewsScoreVerifiers() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: CollectionTests.prompts, speakers: 3)
            let worker = try await session.addWorker()
            var recordings: [String] = []
            for sample in ["clean_fr-fr_0.wav", "clean_fr-be_2.wav"] {
                let assignment = try await session.openAssignment(campaign: campaign, token: worker.token)
                let take = try await session.upload(assignment, token: worker.token, audio: try TestService.sample(sample))
                recordings.append(try #require(take["recording_id"] as? String))
            }
            let store = try await service.openStore()
            let policy = SamplingPolicy()
            // The second take gets a double review for sure.
            _ = try await store.saveTranscript(recordingID: recordings[1], engine: "e", text: "quel temps fera-t-il demain à lyon",
                                               confidence: nil, wer: 0, policy: policy, doubleReviewRate: 1, now: Date())
            // Two verifiers review the second take.
            let first = try #require(try await store.claimTask(verifierID: "v-a", now: Date(), lease: 600, taskID: "x"))
            let second = try #require(try await store.claimTask(verifierID: "v-b", now: Date(), lease: 600, taskID: "y"))
            #expect(first.recordingID == recordings[1] && second.recordingID == recordings[1])
            _ = try await store.submitResult(taskID: first.taskID, verifierID: "v-a", result: .init(verdict: .matchesPrompt, transcript: nil), now: Date())
            let outcome = try await store.submitResult(taskID: second.taskID, verifierID: "v-b",
                                                       result: .init(verdict: .corrected, transcript: "quel temps fait-il demain à lyon"), now: Date())
            #expect(outcome == .validated)

            let gold = try await session.json(.post, "/v1/verification/gold", token: session.adminToken,
                                              ["recording_id": recordings[0], "verdict": "matches_prompt"])
            #expect(gold.status == 201)
            let notAdmin = try await session.json(.post, "/v1/verification/gold", token: worker.token, ["recording_id": recordings[0], "verdict": "matches_prompt"])
            #expect(notAdmin.status == 403)

            // Some verifier ids draw a gold item on their first claim (5 %); find one.
            var goldVerifier: String?
            for index in 0..<400 {
                let id = "v-gold-\(index)"
                guard let task = try await store.claimTask(verifierID: id, now: Date(), lease: 600, taskID: "tsk-gold-\(index)") else { continue }
                if task.recordingID == recordings[0] {
                    _ = try await store.submitResult(taskID: task.taskID, verifierID: id,
                                                     result: .init(verdict: .unusable, transcript: nil, unusableReason: "bruit"), now: Date())
                    goldVerifier = id
                    break
                }
            }
            let scored = try #require(goldVerifier)
            let answer = try await session.request(.get, "/v1/verification/verifiers", token: session.adminToken)
            let rows = try #require(answer["verifiers"] as? [[String: Any]])
            // Two rows of one verifier would be a failure to see, not a reason to stop every test.
            let byID = Dictionary(rows.map { ($0["verifier_id"] as? String ?? "", $0) }, uniquingKeysWith: { first, _ in first })
            #expect(byID.count == rows.count, "one row per verifier")
            #expect(byID[scored]?["gold_items"] as? Int == 1)
            #expect(byID[scored]?["gold_accuracy"] as? Double == 0)
            #expect(byID["v-a"]?["double_reviews"] as? Int == 1)
            #expect(byID["v-a"]?["double_agreement"] as? Double == 1)
            let wer = try #require(byID["v-b"]?["double_mean_wer"] as? Double)
            #expect(wer > 0 && wer < 0.5)
            let quality = try await session.request(.get, "/v1/campaigns/\(campaign)/quality", token: session.adminToken)
            #expect(quality["double_reviews"] as? Int == 1)
            #expect(quality["verdict_agreement"] as? Double == 1)
            #expect(quality["double_review_wer"] as? Double == wer)
            // The gold review settled nothing.
            #expect(try await store.outcome(recordingID: recordings[0]) == nil)
        }
    }
}
