import Foundation
import HTTPTypes
import ParloirCore
import ParloirServer
import ParloirStore
import Testing

/// Upload, ASR in, sampling, claim, result, appeal, outcome and the estimate, through the API.
struct VerificationLoopTests {
    static let prompts = CollectionTests.prompts

    @Test func acceptedTakeIsVerifiedAndCountsInTheEstimate() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Self.prompts, speakers: 3)
            let worker = try await session.addWorker()
            let asr = try await session.addMember(role: "asr")
            let verifier = try await session.addMember(role: "verifier")
            let other = try await session.addMember(role: "verifier")
            let take = try await session.record("clean_fr-fr_0.wav", campaign: campaign, token: worker.token)
            let recording = try #require(take["recording_id"] as? String)

            #expect(try await session.request(.post, "/v1/verification/claim", token: verifier.token).status == 204)
            let forbidden = try await session.json(.post, "/v1/recordings/\(recording)/asr", token: worker.token, ["engine": "x", "text": "y"])
            #expect(forbidden.status == 403)
            let transcript = try await session.json(.post, "/v1/recordings/\(recording)/asr", token: asr.token,
                                                    ["engine": "whisper-large-v3", "text": "allume la lumière de la cuisine", "confidence": 0.93])
            #expect(transcript.status == 201)
            // A worker's first accepted takes are always verified (probation).
            #expect((transcript["queued"] as? [String])?.first == "sample")

            let claim = try await session.request(.post, "/v1/verification/claim", token: verifier.token)
            #expect(claim.status == 200)
            let task = try #require(claim["task_id"] as? String)
            #expect(claim["prompt_text"] as? String == Self.prompts[0])
            #expect(claim["asr_text"] as? String == "allume la lumière de la cuisine")
            #expect(claim["worker_id"] == nil)
            let audio = try await session.request(.get, "/v1/verification/tasks/\(task)/audio", token: verifier.token)
            let original = try TestService.sample("clean_fr-fr_0.wav")
            #expect(audio.status == 200 && audio.body == original)
            #expect(try await session.request(.get, "/v1/verification/tasks/\(task)/audio", token: other.token).status == 403)

            let bad = try await session.json(.post, "/v1/verification/tasks/\(task)/result", token: verifier.token, ["verdict": "corrected"])
            #expect(bad.status == 400 && bad.errorCode == "invalid_result")
            // A terminal key typed into a transcript (^W) never reaches the stored transcripts.
            let controlled = try await session.json(.post, "/v1/verification/tasks/\(task)/result", token: verifier.token,
                                                    ["verdict": "corrected", "transcript": "allume la\u{17} cuisine"])
            #expect(controlled.status == 400 && controlled.errorCode == "invalid_result")
            #expect(((controlled["error"] as? [String: Any])?["message"] as? String)?.contains("control characters") == true)
            let result = try await session.json(.post, "/v1/verification/tasks/\(task)/result", token: verifier.token,
                                                ["verdict": "matches_prompt", "tags": ["[bruit]"]])
            #expect(result.status == 200)
            let again = try await session.json(.post, "/v1/verification/tasks/\(task)/result", token: verifier.token, ["verdict": "matches_prompt"])
            #expect(again.status == 409 && again.errorCode == "lease_lost")

            let shown = try await session.request(.get, "/v1/recordings/\(recording)", token: worker.token)
            if (result["outcome"] as? String) == "validated" {
                #expect(shown["outcome"] as? String == "validated")
                #expect(shown["final_transcript"] as? String == Self.prompts[0])
            }
            let quality = try await session.request(.get, "/v1/campaigns/\(campaign)/quality", token: session.adminToken)
            #expect(quality.status == 200)
            #expect(quality["accepted"] as? Int == 1)
        }
    }

    @Test func withoutASRAcceptedTakesAreSampledAnywayAndTheEstimateSaysSo() async throws {
        var service = TestService()
        service.sampleWithoutASRAfter = 0
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Self.prompts, speakers: 3)
            let worker = try await session.addWorker()
            let verifier = try await session.addMember(role: "verifier")
            let take = try await session.record("clean_fr-fr_0.wav", campaign: campaign, token: worker.token)
            let recording = try #require(take["recording_id"] as? String)

            // No ASR: the take is sampled as if one had agreed (the worker's first takes are all checked).
            var claim = try await session.request(.post, "/v1/verification/claim", token: verifier.token)
            for _ in 0..<100 where claim.status == 204 {
                try await Task.sleep(for: .milliseconds(100))
                claim = try await session.request(.post, "/v1/verification/claim", token: verifier.token)
            }
            #expect(claim.status == 200)
            #expect(claim["kind"] as? String == "sample")
            #expect(claim["asr_text"] is NSNull)
            let task = try #require(claim["task_id"] as? String)
            var result = try await session.json(.post, "/v1/verification/tasks/\(task)/result", token: verifier.token, ["verdict": "matches_prompt"])
            if result["outcome"] is NSNull {
                // One sampled take in ten gets a second review.
                let second = try await session.addMember(role: "verifier")
                let double = try await session.request(.post, "/v1/verification/claim", token: second.token)
                #expect(double["kind"] as? String == "double")
                let id = try #require(double["task_id"] as? String)
                result = try await session.json(.post, "/v1/verification/tasks/\(id)/result", token: second.token, ["verdict": "matches_prompt"])
            }
            #expect(result["outcome"] as? String == "validated")
            #expect(try await session.request(.get, "/v1/recordings/\(recording)", token: worker.token)["outcome"] as? String == "validated")

            let quality = try await session.request(.get, "/v1/campaigns/\(campaign)/quality", token: session.adminToken)
            #expect(quality["accepted"] as? Int == 1 && quality["verified"] as? Int == 1)
            #expect(quality["sampled_without_asr"] as? Int == 1)
        }
    }

    @Test func leasesExpireAndVerifiersNeverGetTheSameRecordingTwice() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Self.prompts, speakers: 3)
            let worker = try await session.addWorker()
            let asr = try await session.addMember(role: "asr")
            let first = try await session.addMember(role: "verifier")
            let second = try await session.addMember(role: "verifier")
            let take = try await session.record("clean_fr-be_2.wav", campaign: campaign, token: worker.token)
            let recording = try #require(take["recording_id"] as? String)
            _ = try await session.json(.post, "/v1/recordings/\(recording)/asr", token: asr.token, ["engine": "e", "text": "quel temps fera-t-il demain à lyon"])

            let store = try await service.openStore()
            let claimed = try #require(try await store.claimTask(verifierID: first.id, now: Date(), lease: 600, taskID: "unused"))
            let later = Date().addingTimeInterval(601)
            await #expect(throws: VerificationError.leaseLost) {
                try await store.submitResult(taskID: claimed.taskID, verifierID: first.id, result: .init(verdict: .matchesPrompt, transcript: nil), now: later)
            }
            // The expired lease goes back to the queue, to someone else.
            #expect(try await store.claimTask(verifierID: first.id, now: later, lease: 600, taskID: "unused") == nil)
            let reclaimed = try #require(try await store.claimTask(verifierID: second.id, now: later, lease: 600, taskID: "unused"))
            #expect(reclaimed.taskID == claimed.taskID)
            let outcome = try await store.submitResult(taskID: reclaimed.taskID, verifierID: second.id,
                                                       result: .init(verdict: .corrected, transcript: "quel temps fait-il demain à lyon"), now: later)
            if let outcome {
                #expect(outcome == .validated)
                let settled = try #require(try await store.outcome(recordingID: recording))
                #expect(settled.transcript == "quel temps fait-il demain à lyon")
            }
        }
    }

    @Test func appealOfARejectionIsHeardFirstAndPaidWhenUpheld() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Self.prompts, speakers: 3)
            let worker = try await session.addWorker()
            let verifier = try await session.addMember(role: "verifier")
            let rejected = try await session.record("snr_white_10db.wav", campaign: campaign, token: worker.token)
            #expect(rejected["verdict"] as? String == "reject")
            let recording = try #require(rejected["recording_id"] as? String)

            let other = try await session.addWorker(accent: "belge", region: "belgique")
            #expect(try await session.json(.post, "/v1/recordings/\(recording)/appeal", token: other.token, ["comment": "x"]).status == 404)
            let appeal = try await session.json(.post, "/v1/recordings/\(recording)/appeal", token: worker.token,
                                                ["comment": "Il y avait juste une fenêtre ouverte, la phrase est complète."])
            #expect(appeal.status == 201 && appeal["state"] as? String == "pending")
            #expect((appeal["message_fr"] as? String)?.contains("recours a bien été reçu") == true)
            let twice = try await session.json(.post, "/v1/recordings/\(recording)/appeal", token: worker.token, [:])
            #expect(twice.status == 409 && twice.errorCode == "already_appealed")

            let claim = try await session.request(.post, "/v1/verification/claim", token: verifier.token)
            #expect(claim["kind"] as? String == "appeal")
            let evidence = try #require(claim["appeal"] as? [String: Any])
            #expect(evidence["comment"] as? String == "Il y avait juste une fenêtre ouverte, la phrase est complète.")
            #expect(evidence["verdict"] as? String == "reject")
            let shownReasons = (rejected["reasons"] as? [[String: Any]])?.compactMap { $0["code"] as? String }
            #expect((evidence["reasons"] as? [[String: Any]])?.compactMap { $0["code"] as? String } == shownReasons)
            #expect((evidence["reasons"] as? [[String: Any]])?.allSatisfy { ($0["hint_fr"] as? String)?.isEmpty == false } == true)
            #expect(((evidence["metrics"] as? [String: Any])?["snr_db"] as? Double) != nil)
            let task = try #require(claim["task_id"] as? String)
            let result = try await session.json(.post, "/v1/verification/tasks/\(task)/result", token: verifier.token, ["verdict": "matches_prompt"])
            #expect(result["outcome"] as? String == "validated")

            let shown = try await session.request(.get, "/v1/recordings/\(recording)", token: worker.token)
            #expect(shown["status"] as? String == "accepted")
            #expect((shown["appeal"] as? [String: Any])?["state"] as? String == "upheld")
            #expect(((shown["appeal"] as? [String: Any])?["message_fr"] as? String)?.contains("acceptée et payée") == true)
            // The upheld take counts where it now stands, as the pay does.
            let me = try await session.request(.get, "/v1/me", token: worker.token)
            #expect(me["earnings_cents"] as? Int == 15)
            #expect(me["takes"] as? [String: Int] == ["accept": 1, "reject": 0])

            let accepted = try await session.record("clean_fr-ch_3.wav", campaign: campaign, token: worker.token)
            let acceptedID = try #require(accepted["recording_id"] as? String)
            // The upheld take finished its assignment: the next take is of another prompt, not
            // the same one recorded and paid twice.
            let promptOf = { (id: String) in try await session.request(.get, "/v1/recordings/\(id)", token: worker.token)["prompt_id"] as? Int }
            #expect(try await promptOf(acceptedID) != promptOf(recording))
            let refused = try await session.json(.post, "/v1/recordings/\(acceptedID)/appeal", token: worker.token, [:])
            #expect(refused.status == 409 && refused.errorCode == "not_rejected")
            let after = try await session.request(.get, "/v1/me", token: worker.token)
            #expect(after["takes"] as? [String: Int] == ["accept": 2, "reject": 0])
            #expect(after["earnings_cents"] as? Int == 30)
            #expect(after["earnings_eur"] as? String == "0,30 €")
        }
    }

    @Test func appealOfAClippedTakeShowsTheVerifierTheEvidenceAndADismissalReachesTheWorkerInFrench() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Self.prompts, speakers: 3)
            let worker = try await session.addWorker()
            let verifier = try await session.addMember(role: "verifier")
            let clipped = try await session.record("clipped_heavy.wav", campaign: campaign, token: worker.token)
            #expect(clipped["verdict"] as? String == "reject")
            let recording = try #require(clipped["recording_id"] as? String)
            #expect(try await session.json(.post, "/v1/recordings/\(recording)/appeal", token: worker.token, [:]).status == 201)

            let claim = try await session.request(.post, "/v1/verification/claim", token: verifier.token)
            let evidence = try #require(claim["appeal"] as? [String: Any])
            #expect(evidence["comment"] is NSNull)
            #expect((evidence["reasons"] as? [[String: Any]])?.contains { $0["code"] as? String == "clipping" } == true)
            #expect(((evidence["metrics"] as? [String: Any])?["clipped_fraction"] as? Double ?? 0) > 0)
            let task = try #require(claim["task_id"] as? String)
            let result = try await session.json(.post, "/v1/verification/tasks/\(task)/result", token: verifier.token,
                                                ["verdict": "unusable", "unusable_reason": "cut"])
            #expect(result["outcome"] as? String == "invalidated")

            let shown = try await session.request(.get, "/v1/recordings/\(recording)", token: worker.token)
            let appeal = try #require(shown["appeal"] as? [String: Any])
            #expect(appeal["state"] as? String == "dismissed")
            #expect(appeal["message_fr"] as? String
                == "Votre recours a été examiné : la prise n'a pas pu être retenue. Motif : la parole est coupée. Vous pouvez enregistrer une nouvelle phrase.")
            let me = try await session.request(.get, "/v1/me", token: worker.token)
            #expect(me["takes"] as? [String: Int] == ["accept": 0, "reject": 1])
            #expect(me["earnings_cents"] as? Int == 0)

            // Other tasks carry no appeal evidence.
            let asr = try await session.addMember(role: "asr")
            let take = try await session.record("clean_fr-fr_0.wav", campaign: campaign, token: worker.token)
            let id = try #require(take["recording_id"] as? String)
            _ = try await session.json(.post, "/v1/recordings/\(id)/asr", token: asr.token, ["engine": "e", "text": Self.prompts[0]])
            let sample = try await session.request(.post, "/v1/verification/claim", token: verifier.token)
            #expect(sample["kind"] as? String == "sample")
            #expect(sample["appeal"] is NSNull)
        }
    }
}
