import Foundation
import HTTPTypes
import ParloirCore
import ParloirServer
import ParloirStore
import Testing

/// The collection loop through the real HTTP API: campaigns, prompts, members, assignments,
/// uploads judged on arrival, pay, and every way an upload can be refused.
struct CollectionTests {
    static let prompts = [
        "Allume la lumière de la cuisine.", "Quel temps fera-t-il demain à Lyon ?", "Mets un minuteur de dix minutes.",
        "Appelle Chloé sur son portable.", "Ferme les volets du salon.",
    ]

    @Test func exampleCampaignLoadsWithAllItsPrompts() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run(loadExample: true) { session in
            let campaign = try #require(session.startup.loadedCampaigns.first)
            #expect(campaign.spec.name == "assistant-maison")
            let worker = try await session.addWorker()
            let answer = try await session.assignment(campaign: campaign.id, token: worker.token)
            #expect(answer.status == 201)
            #expect((answer["purpose"] as? String)?.contains("assistant vocal") == true)
            let prompt = try #require(answer["prompt"] as? [String: Any])
            #expect((prompt["text"] as? String)?.isEmpty == false)
        }
        let store = try await service.openStore()
        let campaign = try #require(try await store.campaign(named: "assistant-maison"))
        let lines = try String(contentsOfFile: TestService.root.appendingPathComponent("prompts/assistant-maison/prompts.tsv").path, encoding: .utf8)
            .split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(lines.count >= 400)
        #expect(try await store.promptKeys(campaignID: campaign.id).count == lines.count)
    }

    @Test func promptImportReportsEveryRejectedLine() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let id = try await session.createCampaign("name: essai\npurpose: Des phrases pour tester la collecte de Parloir.\n")
            let text = """
                weather\tQuel temps fera-t-il demain à Brest ?
                Mets un minuteur de 10 minutes.
                Prends le TGV pour Lyon.
                Appelle M. Dupont.
                Un deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze.
                Envoie un courriel à chloe@example.fr.
                quel temps fera-t-il demain à Brest
                # a comment

                Ferme les volets.
                """
            let answer = try await session.request(.post, "/v1/campaigns/\(id)/prompts", token: session.adminToken,
                                                   body: Data(text.utf8), headers: ["Content-Type": "text/plain"])
            #expect(answer.status == 200)
            #expect(answer["imported"] as? Int == 2)
            let rejected = try #require(answer["rejected"] as? [[String: Any]])
            let byLine = Dictionary(rejected.map { ($0["line"] as? Int ?? 0, $0["reason"] as? String ?? "") }, uniquingKeysWith: { first, _ in first })
            #expect(byLine.count == rejected.count, "one rejection per line")
            #expect(byLine[2]?.contains("digits") == true)
            #expect(byLine[3]?.contains("acronym") == true)
            #expect(byLine[4]?.contains("abbreviation") == true)
            #expect(byLine[5]?.contains("words") == true)
            #expect(byLine[6]?.contains("symbol") == true)
            #expect(byLine[7]?.contains("duplicate") == true)
            #expect(byLine.count == 6)

            let json = try await session.json(.post, "/v1/campaigns/\(id)/prompts", token: session.adminToken,
                                              [["text": "Ferme les volets.", "domain": "home"], ["text": "Ouvre la fenêtre.", "domain": "home"]])
            #expect(json["imported"] as? Int == 1)
            let wrongType = try await session.request(.post, "/v1/campaigns/\(id)/prompts", token: session.adminToken,
                                                      body: Data("x".utf8), headers: ["Content-Type": "image/png"])
            #expect(wrongType.status == 415)
            #expect(wrongType.errorCode == "unsupported_media_type")
            let missing = try await session.request(.post, "/v1/campaigns/cmp-nope/prompts", token: session.adminToken,
                                                    body: Data("Ferme.".utf8), headers: ["Content-Type": "text/plain"])
            #expect(missing.status == 404)
        }
    }

    @Test func tokensRolesAndMalformedBodiesGetClearErrors() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let none = try await session.request(.get, "/v1/me", token: nil)
            #expect(none.status == 401 && none.errorCode == "unauthorized")
            let unknown = try await session.request(.get, "/v1/me", token: "plr_forged")
            #expect(unknown.status == 401)
            let worker = try await session.addWorker()
            let forbidden = try await session.createCampaignAs(token: worker.token)
            #expect(forbidden.status == 403 && forbidden.errorCode == "forbidden")
            let malformed = try await session.request(.post, "/v1/members", token: session.adminToken, body: Data("{nope".utf8),
                                                      headers: ["Content-Type": "application/json"])
            #expect(malformed.status == 400 && malformed.errorCode == "malformed_json")
            let badRole = try await session.json(.post, "/v1/members", token: session.adminToken, ["role": "boss"])
            #expect(badRole.status == 400)
            let badProfile = try await session.json(.post, "/v1/members", token: session.adminToken,
                                                    ["role": "worker", "profile": ["age_band": "12-17"]])
            #expect(badProfile.status == 400 && badProfile.errorCode == "invalid_profile")
            let badSpec = try await session.request(.post, "/v1/campaigns", token: session.adminToken, body: Data("name: [unclosed".utf8))
            #expect(badSpec.status == 400 && badSpec.errorCode == "invalid_spec")
            let shortPurpose = try await session.request(.post, "/v1/campaigns", token: session.adminToken, body: Data("name: x\npurpose: court\n".utf8))
            #expect(shortPurpose.status == 400)
            let route = try await session.request(.get, "/v1/nothing-here", token: session.adminToken)
            #expect(route.status == 404 && route.errorCode == "not_found")
            let id = try await session.createCampaign("name: doublon\npurpose: Des phrases pour tester la collecte de Parloir.\n")
            #expect(id.hasPrefix("cmp-"))
            let again = try await session.request(.post, "/v1/campaigns", token: session.adminToken,
                                                  body: Data("name: doublon\npurpose: Des phrases pour tester la collecte de Parloir.\n".utf8))
            #expect(again.status == 409 && again.errorCode == "campaign_exists")
        }
    }

    @Test func acceptedTakeIsStoredPaidAndShown() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Self.prompts)
            let worker = try await session.addWorker()
            let first = try await session.assignment(campaign: campaign, token: worker.token)
            #expect(first.status == 201)
            let assignment = try #require(first["assignment_id"] as? String)
            let again = try await session.assignment(campaign: campaign, token: worker.token)
            #expect(again.status == 200 && again["assignment_id"] as? String == assignment)

            let audio = try TestService.sample("clean_fr-fr_0.wav")
            let upload = try await session.upload(assignment, token: worker.token, audio: audio, headers: ["X-Noise-Condition": "quiet"])
            #expect(upload.status == 201)
            #expect(upload["verdict"] as? String == "accept")
            #expect(upload["pay_cents"] as? Int == 15)
            let metrics = try #require(upload["metrics"] as? [String: Any])
            #expect(metrics.count == 16)
            #expect(metrics["sample_rate"] as? Int == 16000)
            #expect(metrics["speaking_rate_sps"] as? Double != nil, "the assignment's prompt gives the speaking rate")
            let recording = try #require(upload["recording_id"] as? String)

            let me = try await session.request(.get, "/v1/me", token: worker.token)
            #expect(me["earnings_cents"] as? Int == 15)
            #expect((me["takes"] as? [String: Int])?["accept"] == 1)
            #expect(me["earnings_eur"] as? String == "0,15 €")

            let own = try await session.request(.get, "/v1/recordings/\(recording)", token: worker.token)
            #expect(own.status == 200 && own["status"] as? String == "accepted" && own["worker_id"] == nil)
            #expect(own["noise_condition"] as? String == "quiet")
            let other = try await session.addWorker(accent: "belge", region: "belgique")
            #expect(try await session.request(.get, "/v1/recordings/\(recording)", token: other.token).status == 404)
            let admin = try await session.request(.get, "/v1/recordings/\(recording)", token: session.adminToken)
            #expect(admin["worker_id"] as? String == worker.id)
            let bytes = try await session.request(.get, "/v1/recordings/\(recording)/audio", token: session.adminToken)
            #expect(bytes.status == 200 && bytes.body == audio)
            // The worker replays their own take (by ranges too, as a player seeks); nobody else's.
            let replayed = try await session.request(.get, "/v1/recordings/\(recording)/audio", token: worker.token)
            #expect(replayed.status == 200 && replayed.body == audio)
            let part = try await session.request(.get, "/v1/recordings/\(recording)/audio", token: worker.token, headers: ["Range": "bytes=0-99"])
            #expect(part.status == 206 && part.body == audio.prefix(100))
            #expect(try await session.request(.get, "/v1/recordings/\(recording)/audio", token: other.token).status == 404)

            let next = try await session.assignment(campaign: campaign, token: worker.token)
            #expect(next.status == 201 && next["assignment_id"] as? String != assignment)
            let finished = try await session.upload(assignment, token: worker.token, audio: try TestService.sample("clean_fr-be_2.wav"))
            #expect(finished.status == 409 && finished.errorCode == "assignment_finished")
        }
    }

    @Test func rejectedTakesCanBeRecordedAgainThreeTimes() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Self.prompts)
            let worker = try await session.addWorker()
            let assignment = try await session.openAssignment(campaign: campaign, token: worker.token)
            for (index, sample) in ["too_short.wav", "snr_white_05db.wav", "silent.wav"].enumerated() {
                let answer = try await session.upload(assignment, token: worker.token, audio: try TestService.sample(sample))
                #expect(answer.status == 201)
                #expect(answer["verdict"] as? String == "reject")
                #expect(answer["take"] as? Int == index + 1)
                #expect(answer["takes_left"] as? Int == 2 - index)
                let reasons = try #require(answer["reasons"] as? [[String: Any]])
                #expect(reasons.allSatisfy { ($0["hint_fr"] as? String)?.isEmpty == false })
            }
            let fourth = try await session.upload(assignment, token: worker.token, audio: try TestService.sample("clean_fr-ch_3.wav"))
            #expect(fourth.status == 409 && fourth.errorCode == "assignment_finished")
            let me = try await session.request(.get, "/v1/me", token: worker.token)
            #expect((me["takes"] as? [String: Int])?["reject"] == 3)
            #expect(me["earnings_cents"] as? Int == 0)
        }
    }

    @Test func undecodableAudioIsKeptAsARejectedTakeAndAnswered422() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Self.prompts)
            let worker = try await session.addWorker()
            let assignment = try await session.openAssignment(campaign: campaign, token: worker.token)
            let answer = try await session.upload(assignment, token: worker.token, audio: try TestService.sample("unreadable_random.wav"))
            #expect(answer.status == 422)
            let reasons = try #require(answer["reasons"] as? [[String: Any]])
            #expect(reasons.first?["code"] as? String == "unreadable")
            let recording = try #require(answer["recording_id"] as? String)
            let shown = try await session.request(.get, "/v1/recordings/\(recording)", token: worker.token)
            #expect(shown["status"] as? String == "rejected")
        }
    }

    @Test func everyErrorAWorkerCanMeetIsInFrench() async throws {
        let service = TestService(maxUploadBytes: 100_000)
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: ["allume la lumière du salon"], speakers: 1)
            let worker = try await session.addWorker()
            let unconsenting = try await session.addWorker(consent: false)
            let other = try await session.addWorker(accent: "suisse", region: "suisse")
            let assignment = try await session.openAssignment(campaign: campaign, token: worker.token)
            let answers: [(String, Answer)] = [
                ("no token", try await session.request(.get, "/v1/me", token: nil)),
                ("no consent", try await session.assignment(campaign: campaign, token: unconsenting.token)),
                ("no prompt left", try await session.assignment(campaign: campaign, token: other.token)),
                ("someone else's assignment", try await session.upload(assignment, token: other.token, audio: try TestService.sample("too_short.wav"))),
                ("wrong type", try await session.upload(assignment, token: worker.token, audio: Data("x".utf8), type: "video/mp4")),
                ("empty", try await session.upload(assignment, token: worker.token, audio: Data())),
                ("bad noise", try await session.upload(assignment, token: worker.token, audio: try TestService.sample("too_short.wav"),
                                                       headers: ["X-Noise-Condition": "sous-marin"])),
                ("unknown recording", try await session.request(.get, "/v1/recordings/rec-none", token: worker.token)),
                ("wrong role", try await session.request(.get, "/v1/campaigns", token: worker.token)),
            ]
            for (what, answer) in answers {
                let error = answer["error"] as? [String: Any]
                let french = error?["message_fr"] as? String ?? ""
                #expect(answer.status >= 400 && !french.isEmpty, "\(what): \(String(decoding: answer.body, as: UTF8.self))")
                #expect(french != error?["message"] as? String, "\(what): the French words are not the English ones")
            }
            #expect(answers[1].1.errorCode == "consent_required")
            #expect(answers[3].1.errorCode == "not_your_assignment")
        }
    }

    @Test func refusedUploadsLeaveNothingBehind() async throws {
        let service = TestService(maxUploadBytes: 100_000)
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Self.prompts)
            let worker = try await session.addWorker()
            let assignment = try await session.openAssignment(campaign: campaign, token: worker.token)
            let big = try TestService.sample("silence_near_limits.wav")
            #expect(big.count > 100_000)
            let tooLarge = try await session.upload(assignment, token: worker.token, audio: big)
            #expect(tooLarge.status == 413 && tooLarge.errorCode == "payload_too_large")
            let wrongType = try await session.upload(assignment, token: worker.token, audio: Data("x".utf8), type: "video/mp4")
            #expect(wrongType.status == 415)
            let empty = try await session.upload(assignment, token: worker.token, audio: Data())
            #expect(empty.status == 400 && empty.errorCode == "empty_body")
            let noise = try await session.upload(assignment, token: worker.token, audio: try TestService.sample("too_short.wav"),
                                                 headers: ["X-Noise-Condition": "underwater"])
            #expect(noise.status == 400 && noise.errorCode == "invalid_noise_condition")
            let other = try await session.addWorker(accent: "suisse", region: "suisse")
            let stolen = try await session.upload(assignment, token: other.token, audio: try TestService.sample("too_short.wav"))
            #expect(stolen.status == 403)
            let unknown = try await session.upload("asg-nope", token: worker.token, audio: try TestService.sample("too_short.wav"))
            #expect(unknown.status == 404)
            let me = try await session.request(.get, "/v1/me", token: worker.token)
            #expect((me["takes"] as? [String: Int])?.values.reduce(0, +) == 0)
        }
        let blobs = try await service.openBlobs()
        #expect(try await blobs.inventory().isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: service.stagingDirectory).isEmpty)
    }

    @Test func duplicateAudioIsRefusedWithAFrenchHint() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Self.prompts)
            let worker = try await session.addWorker()
            let audio = try TestService.sample("clean_fr-fr_0.wav")
            let first = try await session.openAssignment(campaign: campaign, token: worker.token)
            #expect(try await session.upload(first, token: worker.token, audio: audio).status == 201)
            let second = try await session.openAssignment(campaign: campaign, token: worker.token)
            let duplicate = try await session.upload(second, token: worker.token, audio: audio)
            #expect(duplicate.status == 409 && duplicate.errorCode == "duplicate")
            #expect(((duplicate["error"] as? [String: Any])?["hint_fr"] as? String)?.contains("nouvelle prise") == true)
            let retake = try await session.upload(second, token: worker.token, audio: try TestService.sample("clean_fr-be_2.wav"))
            #expect(retake["take"] as? Int == 1)
        }
    }

    @Test func retryWithTheSameIdempotencyKeyGetsTheFirstAnswer() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Self.prompts)
            let worker = try await session.addWorker()
            let assignment = try await session.openAssignment(campaign: campaign, token: worker.token)
            let audio = try TestService.sample("snr_pink_20db.wav")
            let first = try await session.upload(assignment, token: worker.token, audio: audio, headers: ["Idempotency-Key": "take-1"])
            let retry = try await session.upload(assignment, token: worker.token, audio: audio, headers: ["Idempotency-Key": "take-1"])
            #expect(first.status == 201 && retry.status == 201)
            #expect(first.body == retry.body)
            let me = try await session.request(.get, "/v1/me", token: worker.token)
            #expect((me["takes"] as? [String: Int])?.values.reduce(0, +) == 1)
        }
    }

    @Test func expiredAssignmentIsRefused() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let campaignID = try await session.smallCampaign(prompts: Self.prompts)
            let worker = try await session.addWorker()
            let store = try await service.openStore()
            let campaign = try #require(try await store.campaign(id: campaignID))
            let old = try #require(try await store.assign(AssignmentGate(campaign: campaign, worker: Member(id: worker.id, role: .worker, profile: WorkerProfile(), createdAt: Date()), noise: nil), now: Date(timeIntervalSinceNow: -7200), id: "asg-old"))
            let answer = try await session.upload(old.assignment.id, token: worker.token, audio: try TestService.sample("clean_fr-fr_0.wav"))
            #expect(answer.status == 409 && answer.errorCode == "assignment_expired")
        }
    }

    @Test func theAuthorizationSchemeIsCaseInsensitive() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let worker = try await session.addWorker()
            for scheme in ["Bearer", "bearer", "BEARER"] {
                let me = try await session.request(.get, "/v1/me", token: nil, headers: ["Authorization": "\(scheme) \(worker.token)"])
                #expect(me.status == 200, "\(scheme)")
            }
            let basic = try await session.request(.get, "/v1/me", token: nil, headers: ["Authorization": "Basic \(worker.token)"])
            #expect(basic.status == 401)
        }
    }

    @Test func anIdempotencyKeyReusedForAnotherUploadIsRefusedNotReplayed() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Self.prompts)
            let worker = try await session.addWorker()
            // A rejected take keeps its assignment open: the same key with other audio is another take.
            let open = try await session.openAssignment(campaign: campaign, token: worker.token)
            let rejected = try await session.upload(open, token: worker.token, audio: try TestService.sample("too_short.wav"),
                                                    headers: ["Idempotency-Key": "k-1"])
            #expect(rejected.status == 201 && rejected["verdict"] as? String == "reject")
            let otherAudio = try await session.upload(open, token: worker.token, audio: try TestService.sample("clean_fr-fr_0.wav"),
                                                      headers: ["Idempotency-Key": "k-1"])
            #expect(otherAudio.status == 422 && otherAudio.errorCode == "idempotency_key_reused")
            #expect(((otherAudio["error"] as? [String: Any])?["message_fr"] as? String)?.isEmpty == false)
            let accepted = try await session.upload(open, token: worker.token, audio: try TestService.sample("clean_fr-fr_0.wav"),
                                                    headers: ["Idempotency-Key": "k-2"])
            #expect(accepted.status == 201 && accepted["verdict"] as? String == "accept")
            // The same request again is replayed, even though its assignment is finished now.
            let retried = try await session.upload(open, token: worker.token, audio: try TestService.sample("clean_fr-fr_0.wav"),
                                                   headers: ["Idempotency-Key": "k-2"])
            #expect(retried.status == 201 && retried.body == accepted.body)
            // The same key on a new assignment is refused, not answered with the old take.
            let next = try await session.openAssignment(campaign: campaign, token: worker.token)
            let reused = try await session.upload(next, token: worker.token, audio: try TestService.sample("clean_fr-be_2.wav"),
                                                  headers: ["Idempotency-Key": "k-2"])
            #expect(reused.status == 422 && reused.errorCode == "idempotency_key_reused")
            let fresh = try await session.upload(next, token: worker.token, audio: try TestService.sample("clean_fr-be_2.wav"),
                                                 headers: ["Idempotency-Key": "k-3"])
            #expect(fresh.status == 201 && fresh["recording_id"] as? String != accepted["recording_id"] as? String)
            let me = try await session.request(.get, "/v1/me", token: worker.token)
            #expect((me["takes"] as? [String: Int])?.values.reduce(0, +) == 3)
        }
    }

    @Test func consentIsRequiredBeforeRecording() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Self.prompts)
            let worker = try await session.addWorker(consent: false)
            let answer = try await session.assignment(campaign: campaign, token: worker.token)
            #expect(answer.status == 403)
        }
    }

    @Test func promptsStopWhenEveryPromptHasItsSpeakers() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Array(Self.prompts.prefix(2)), speakers: 1)
            let samples = ["clean_fr-fr_0.wav", "clean_fr-be_2.wav", "clean_fr-ch_3.wav"]
            var served: [Int] = []
            for (index, sample) in samples.enumerated() {
                let worker = try await session.addWorker()
                let answer = try await session.assignment(campaign: campaign, token: worker.token)
                if index < 2 {
                    #expect(answer.status == 201)
                    served.append(try #require((answer["prompt"] as? [String: Any])?["id"] as? Int))
                    let id = try #require(answer["assignment_id"] as? String)
                    #expect(try await session.upload(id, token: worker.token, audio: try TestService.sample(sample))["verdict"] as? String == "accept")
                } else {
                    #expect(answer.status == 409 && answer.errorCode == "no_prompt_available")
                }
            }
            #expect(Set(served).count == 2)
        }
    }
}

extension Session {
    func createCampaignAs(token: String) async throws -> Answer {
        try await request(.post, "/v1/campaigns", token: token, body: Data("name: x\npurpose: Des phrases pour tester la collecte.\n".utf8))
    }
}
