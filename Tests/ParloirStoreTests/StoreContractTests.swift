import AudioQC
import Foundation
import GRDB
import ParloirCore
import ParloirStore
import ParloirTestServers
import Testing
import Transcripts

/// The definition of a correct store: every engine passes these, with the same results and the
/// same typed errors for the same calls.
@Suite struct StoreContractTests {
    // MARK: Campaigns and prompts

    @Test(arguments: Engine.available)
    func campaignsAreFoundByIdAndNameAndNamesAreUnique(engine: Engine) async throws {
        try await withStore(engine) { store in
            let fixture = Fixture(store: store)
            let first = try await fixture.campaign(id: "cmp-b", spec: Fixture.spec("Voix A"))
            let second = try await fixture.campaign(id: "cmp-a", spec: Fixture.spec("Voix B"), at: Fixture.t0.addingTimeInterval(60))
            await #expect(throws: CampaignStoreError.nameTaken("Voix A")) {
                _ = try await store.createCampaign(id: "cmp-c", spec: Fixture.spec("Voix A"), now: Fixture.t0)
            }
            #expect(try await store.campaign(id: "cmp-b") == first)
            #expect(try await store.campaign(named: "Voix B") == second)
            #expect(try await store.campaign(id: "cmp-c") == nil)
            #expect(try await store.campaign(named: "Voix C") == nil)
            #expect(try await store.campaigns().map(\.id) == ["cmp-b", "cmp-a"])
            await #expect(throws: CampaignStoreError.notFound(campaignID: "cmp-z")) { _ = try await store.existingCampaign(id: "cmp-z") }
        }
    }

    @Test(arguments: Engine.available)
    func promptsAreAddedOncePerDuplicateKey(engine: Engine) async throws {
        try await withStore(engine) { store in
            let fixture = Fixture(store: store)
            let campaign = try await fixture.campaign(prompts: 2)
            let again = [
                PromptCandidate(line: 1, text: "LE TRAIN DE LYON PART À L’HEURE !"),
                PromptCandidate(line: 2, text: "Une phrase toute neuve pour la météo.", domain: "weather"),
                PromptCandidate(line: 3, text: "Une phrase, toute neuve, pour la météo"),
            ]
            #expect(try await store.addPrompts(again, campaignID: campaign.id) == 1)
            #expect(try await store.promptKeys(campaignID: campaign.id)
                == Set((Fixture.sentences.prefix(2) + ["Une phrase toute neuve pour la météo."]).map(PromptValidator.duplicateKey)))
            // A prompt left out as a duplicate uses up an id on every engine.
            #expect(try await store.addPrompts([PromptCandidate(line: 1, text: "Encore une phrase.")], campaignID: campaign.id) == 1)
            var texts: [Int64: String] = [:]
            for id in Int64(1)...7 { texts[id] = try await store.promptText(id: id) }
            #expect(texts == [1: Fixture.sentences[0], 2: Fixture.sentences[1], 4: "Une phrase toute neuve pour la météo.",
                              6: "Encore une phrase."])
            #expect(try await store.promptText(id: 99) == nil)
        }
    }

    @Test(arguments: Engine.available)
    func theSpeakerCapGrowsWithThePromptCount(engine: Engine) async throws {
        try await withStore(engine) { store in
            let fixture = Fixture(store: store)
            // One speaker per prompt and a 50 % cap: 2 prompts plan 2 takes, a speaker may make 1.
            let campaign = try await fixture.campaign(spec: Fixture.spec(speakersPerPrompt: 1, speakerCap: 0.5), prompts: 2)
            let worker = try await fixture.member("w-1")
            try await fixture.acceptedTake(campaign, by: worker)
            await #expect(throws: CollectionError.speakerCap(recordings: 1, cap: 1, share: 0.5)) {
                _ = try await store.assign(AssignmentGate(campaign: campaign, worker: worker, noise: nil), now: Fixture.t0, id: "asg-x")
            }
            // 4 prompts plan 4 takes: 2 each.
            let more = Fixture.sentences[2..<4].map { PromptCandidate(line: 1, text: $0) }
            #expect(try await store.addPrompts(more, campaignID: campaign.id) == 2)
            _ = try await fixture.assign(campaign, worker)
        }
    }

    // MARK: Members

    @Test(arguments: Engine.available)
    func membersAreFoundByTokenHash(engine: Engine) async throws {
        try await withStore(engine) { store in
            let fixture = Fixture(store: store)
            let worker = try await fixture.member("w-1", accent: "belge", region: "belgique", gender: "female")
            _ = try await fixture.member("v-1", role: .verifier)
            _ = try await fixture.member("v-2", role: .verifier)
            #expect(try await store.member(tokenHash: "hash-w-1") == worker)
            #expect(try await store.member(tokenHash: "hash-nobody") == nil)
            #expect(try await store.memberCount(role: .verifier) == 2)
            #expect(try await store.memberCount(role: .admin) == 0)

            let campaign = try await fixture.campaign()
            try await fixture.acceptedTake(campaign, by: worker)
            let assignment = try await fixture.assign(campaign, worker)
            try await fixture.upload(assignment, campaign: campaign, accepted: false)
            let summary = try await store.summary(of: worker)
            #expect(summary.takesByVerdict == ["accept": 1, "reject": 1])
            #expect(summary.earningsCents == 12)
        }
    }

    // MARK: The assignment gate

    @Test(arguments: Engine.available)
    func aWorkerGetsTheirOpenAssignmentBack(engine: Engine) async throws {
        try await withStore(engine) { store in
            let fixture = Fixture(store: store)
            let campaign = try await fixture.campaign()
            let worker = try await fixture.member("w-1", accent: "belge")
            let first = try await fixture.assign(campaign, worker, noise: .quiet, id: "asg-1")
            #expect(first.promptID == 1)
            #expect(first.profile == WorkerProfile(accent: "belge"))
            #expect(first.noise == .quiet)
            #expect(first.expiresAt == Fixture.t0.addingTimeInterval(30 * 60))
            let again = try #require(try await store.assign(AssignmentGate(campaign: campaign, worker: worker, noise: nil),
                                                            now: Fixture.t0.addingTimeInterval(60), id: "asg-2"))
            #expect(again.created == false)
            #expect(again.assignment == first)
            #expect(try await store.assignment(id: "asg-1") == first)
            #expect(try await store.assignment(id: "asg-2") == nil)
            // Another worker gets the prompt with the fewest speakers under way.
            #expect(try await fixture.assign(campaign, try await fixture.member("w-2")).promptID == 2)
        }
    }

    @Test(arguments: Engine.available)
    func promptsRunOutWhenEveryOneHasItsSpeakers(engine: Engine) async throws {
        try await withStore(engine) { store in
            let fixture = Fixture(store: store)
            let campaign = try await fixture.campaign(spec: Fixture.spec(speakersPerPrompt: 1), prompts: 2)
            try await fixture.acceptedTake(campaign, by: try await fixture.member("w-1"))
            _ = try await fixture.assign(campaign, try await fixture.member("w-2"))
            let third = try await fixture.member("w-3")
            #expect(try await store.assign(AssignmentGate(campaign: campaign, worker: third, noise: nil), now: Fixture.t0, id: "asg-x") == nil)
        }
    }

    @Test(arguments: Engine.available)
    func aFullCellRefusesAssignments(engine: Engine) async throws {
        try await withStore(engine) { store in
            let fixture = Fixture(store: store)
            let spec = Fixture.spec(dimensions: ["accent": DimensionSpec(values: ["belge", "quebecois"], targets: ["belge": QuotaTarget(count: 2)])])
            let campaign = try await fixture.campaign(spec: spec)
            try await fixture.acceptedTake(campaign, by: try await fixture.member("w-1", accent: "belge"))
            _ = try await fixture.assign(campaign, try await fixture.member("w-2", accent: "belge"))
            let third = try await fixture.member("w-3", accent: "belge")
            await #expect(throws: CollectionError.quotaFull(cell: "accent=belge", amount: "2 recordings")) {
                _ = try await store.assign(AssignmentGate(campaign: campaign, worker: third, noise: nil), now: Fixture.t0, id: "asg-x")
            }
            _ = try await fixture.assign(campaign, try await fixture.member("w-4", accent: "quebecois"))
        }
    }

    @Test(arguments: Engine.available)
    func anExpiredAssignmentGivesItsPlaceBack(engine: Engine) async throws {
        try await withStore(engine) { store in
            let fixture = Fixture(store: store)
            let spec = Fixture.spec(dimensions: ["accent": DimensionSpec(targets: ["belge": QuotaTarget(count: 1)])], assignmentMinutes: 10)
            let campaign = try await fixture.campaign(spec: spec)
            let late = try await fixture.assign(campaign, try await fixture.member("w-1", accent: "belge"))
            let other = try await fixture.member("w-2", accent: "belge")
            await #expect(throws: CollectionError.quotaFull(cell: "accent=belge", amount: "1 recordings")) {
                _ = try await store.assign(AssignmentGate(campaign: campaign, worker: other, noise: nil),
                                           now: Fixture.t0.addingTimeInterval(9 * 60), id: "asg-x")
            }
            let later = Fixture.t0.addingTimeInterval(11 * 60)
            _ = try await fixture.assign(campaign, other, at: later)
            #expect(try await store.assignment(id: late.id)?.state == .expired)
            await #expect(throws: CollectionError.assignmentExpired(at: late.expiresAt)) {
                try await fixture.upload(late, campaign: campaign, at: later)
            }
        }
    }

    @Test(arguments: Engine.available)
    func anUnderFilledCellGetsPromptsItLacks(engine: Engine) async throws {
        try await withStore(engine) { store in
            let fixture = Fixture(store: store)
            let spec = Fixture.spec(dimensions: ["accent": DimensionSpec(targets: ["belge": QuotaTarget(count: 10, min: 5)])])
            let campaign = try await fixture.campaign(spec: spec, prompts: 3)
            // Belgian voices on prompts 1 and 2, Swiss ones on prompts 3 and 1.
            try await fixture.acceptedTake(campaign, by: try await fixture.member("w-1", accent: "belge"))
            try await fixture.acceptedTake(campaign, by: try await fixture.member("w-2", accent: "belge"))
            try await fixture.acceptedTake(campaign, by: try await fixture.member("w-3", accent: "suisse"))
            try await fixture.acceptedTake(campaign, by: try await fixture.member("w-4", accent: "suisse"))
            // Loads are now 2, 1, 1: a Belgian worker still gets prompt 3, which no Belgian was given.
            #expect(try await fixture.assign(campaign, try await fixture.member("w-5", accent: "belge")).promptID == 3)
        }
    }

    // MARK: Takes

    @Test(arguments: Engine.available)
    func anAcceptedTakeFinishesItsAssignmentAndMovesTheTallies(engine: Engine) async throws {
        try await withStore(engine) { store in
            let fixture = Fixture(store: store)
            let spec = Fixture.spec(dimensions: ["accent": DimensionSpec(targets: ["belge": QuotaTarget(count: 1)])])
            let campaign = try await fixture.campaign(spec: spec)
            let worker = try await fixture.member("w-1", accent: "belge")
            let assignment = try await fixture.assign(campaign, worker)
            let recording = try await fixture.upload(assignment, campaign: campaign, duration: 3.5, id: "rec-1")
            #expect(try await store.recording(id: "rec-1") == recording)
            #expect(try await store.recording(id: "rec-2") == nil)
            let finished = try #require(try await store.assignment(id: assignment.id))
            #expect(finished.state == .finished)
            #expect(finished.takes == 1)
            #expect(try await store.audioExists(sha256: recording.sha256))
            #expect(try await store.audioExists(sha256: "0000") == false)
            #expect(try await store.referencedBlobs() == [recording.sha256])
            #expect(try await store.storedBytes() == 64_000)
            // The cell is full with the take itself: the in-flight count went, the take came.
            await #expect(throws: CollectionError.quotaFull(cell: "accent=belge", amount: "1 recordings")) {
                _ = try await store.assign(AssignmentGate(campaign: campaign, worker: try await fixture.member("w-2", accent: "belge"), noise: nil),
                                           now: Fixture.t0, id: "asg-x")
            }
            let inputs = try await store.reportInputs(campaign: campaign, now: Fixture.t0)
            #expect(inputs.accepted == 1)
            #expect(inputs.acceptedSeconds == 3.5)
            #expect(inputs.paidCents == 12)
        }
    }

    @Test(arguments: Engine.available)
    func rejectedTakesLeaveTheAssignmentOpenUntilTheLastTake(engine: Engine) async throws {
        try await withStore(engine) { store in
            let fixture = Fixture(store: store)
            let campaign = try await fixture.campaign()
            let worker = try await fixture.member("w-1")
            let assignment = try await fixture.assign(campaign, worker)
            try await fixture.upload(assignment, campaign: campaign, accepted: false)
            #expect(try await store.assignment(id: assignment.id)?.state == .open)
            #expect(try await store.assignment(id: assignment.id)?.takes == 1)
            // The open assignment comes back, with its takes counted.
            let again = try #require(try await store.assign(AssignmentGate(campaign: campaign, worker: worker, noise: nil), now: Fixture.t0, id: "asg-x"))
            #expect(again.assignment.takes == 1)
            try await fixture.upload(again.assignment, campaign: campaign, accepted: false)
            try await fixture.upload(again.assignment, campaign: campaign, accepted: false)
            #expect(try await store.assignment(id: assignment.id)?.state == .finished)
            await #expect(throws: CollectionError.assignmentFinished(takesUsed: 3)) {
                try await fixture.upload(assignment, campaign: campaign)
            }
        }
    }

    @Test(arguments: Engine.available)
    func uploadConflictsAreTyped(engine: Engine) async throws {
        try await withStore(engine) { store in
            let fixture = Fixture(store: store)
            let campaign = try await fixture.campaign()
            let assignment = try await fixture.assign(campaign, try await fixture.member("w-1"))
            var stray = fixture.take(assignment, campaign: campaign)
            stray.recording.assignmentID = "asg-none"
            await #expect(throws: CollectionError.assignmentNotFound("asg-none")) { try await store.saveTake(stray, now: Fixture.t0) }
            try await fixture.upload(assignment, campaign: campaign)
            await #expect(throws: CollectionError.assignmentFinished(takesUsed: 1)) { try await fixture.upload(assignment, campaign: campaign) }
        }
    }

    @Test(arguments: Engine.available)
    func identicalAudioIsStoredOnce(engine: Engine) async throws {
        try await withStore(engine) { store in
            let fixture = Fixture(store: store)
            let campaign = try await fixture.campaign()
            let first = try await fixture.assign(campaign, try await fixture.member("w-1"))
            let second = try await fixture.assign(campaign, try await fixture.member("w-2"))
            try await fixture.upload(first, campaign: campaign, id: "rec-1", sha256: "ab12")
            await #expect(throws: CollectionError.duplicateAudio(existing: "rec-1")) {
                try await fixture.upload(second, campaign: campaign, id: "rec-2", sha256: "ab12")
            }
            // Nothing of the refused take stays: its assignment is as it was.
            #expect(try await store.assignment(id: second.id) == second)
            #expect(try await store.recording(id: "rec-2") == nil)
        }
    }

    @Test(arguments: Engine.available)
    func theIdempotentAnswerIsStoredWithTheTake(engine: Engine) async throws {
        try await withStore(engine) { store in
            let fixture = Fixture(store: store)
            let campaign = try await fixture.campaign()
            let assignment = try await fixture.assign(campaign, try await fixture.member("w-1"))
            let answer = StoredResponse(status: 201, body: Data("{\"verdict\":\"accept\"}".utf8) + Data([0, 255]))
            try await store.saveTake(fixture.take(assignment, campaign: campaign, idempotency: ("key-1", answer)), now: Fixture.t0)
            #expect(try await store.storedResponse(memberID: "w-1", key: "key-1") == answer)
            #expect(try await store.storedResponse(memberID: "w-1", key: "key-2") == nil)
            #expect(try await store.storedResponse(memberID: "w-2", key: "key-1") == nil)
        }
    }

    // MARK: Verification

    @Test(arguments: Engine.available)
    func transcriptsQueueTasksThatVerifiersSettle(engine: Engine) async throws {
        try await withStore(engine) { store in
            let fixture = Fixture(store: store)
            let campaign = try await fixture.campaign()
            let recording = try await fixture.acceptedTake(campaign, by: try await fixture.member("w-1"))
            // A worker on probation: every take is checked; a WER this high is a disagreement.
            let kinds = try await store.saveTranscript(recordingID: recording.id, engine: "whisper", text: "le train part",
                                                       confidence: 0.9, wer: 0.5, policy: everyTakeChecked, doubleReviewRate: 0, now: Fixture.t0)
            #expect(kinds == [.disagreement])
            // A second transcript replaces the first and queues nothing more.
            #expect(try await store.saveTranscript(recordingID: recording.id, engine: "whisper", text: "le train de lyon",
                                                   confidence: nil, wer: 0.4, policy: everyTakeChecked, doubleReviewRate: 0, now: Fixture.t0) == [])
            await #expect(throws: VerificationError.recordingNotFound("rec-none")) {
                _ = try await store.saveTranscript(recordingID: "rec-none", engine: "whisper", text: "", confidence: nil, wer: 0,
                                                   policy: everyTakeChecked, doubleReviewRate: 0, now: Fixture.t0)
            }
            let claimed = try #require(try await store.claimTask(verifierID: "v-1", now: Fixture.t0, lease: 600, taskID: "tsk-gold-1"))
            #expect(claimed.recordingID == recording.id)
            #expect(claimed.kind == .disagreement)
            #expect(claimed.promptText == Fixture.sentences[0])
            #expect(claimed.asrText == "le train de lyon")
            #expect(claimed.leaseExpiresAt == Fixture.t0.addingTimeInterval(600))
            #expect(try await store.claimTask(verifierID: "v-2", now: Fixture.t0, lease: 600, taskID: "tsk-gold-2") == nil)
            #expect(try await store.leasedRecording(taskID: claimed.taskID, verifierID: "v-1", now: Fixture.t0) == recording)
            let outcome = try await store.submitResult(taskID: claimed.taskID, verifierID: "v-1", result: verdict(.matchesPrompt),
                                                       now: Fixture.t0.addingTimeInterval(30))
            #expect(outcome == .validated)
            let settled = try #require(try await store.outcome(recordingID: recording.id))
            #expect(settled.outcome == .validated)
            #expect(settled.transcript == Fixture.sentences[0])
            #expect(try await store.outcome(recordingID: "rec-none") == nil)
            await #expect(throws: VerificationError.leaseLost) {
                _ = try await store.submitResult(taskID: claimed.taskID, verifierID: "v-1", result: verdict(.matchesPrompt), now: Fixture.t0)
            }
        }
    }

    @Test(arguments: Engine.available)
    func leasesRunOutAndAreLost(engine: Engine) async throws {
        try await withStore(engine) { store in
            let fixture = Fixture(store: store)
            let campaign = try await fixture.campaign()
            let recording = try await fixture.acceptedTake(campaign, by: try await fixture.member("w-1"))
            _ = try await store.saveTranscript(recordingID: recording.id, engine: "whisper", text: Fixture.sentences[0], confidence: nil, wer: 0,
                                               policy: everyTakeChecked, doubleReviewRate: 0, now: Fixture.t0)
            let first = try #require(try await store.claimTask(verifierID: "v-1", now: Fixture.t0, lease: 60, taskID: "tsk-gold-1"))
            #expect(first.kind == .sample)
            let late = Fixture.t0.addingTimeInterval(120)
            await #expect(throws: VerificationError.leaseLost) { _ = try await store.leasedRecording(taskID: first.taskID, verifierID: "v-1", now: late) }
            await #expect(throws: VerificationError.leasedToAnother) { _ = try await store.leasedRecording(taskID: first.taskID, verifierID: "v-2", now: Fixture.t0) }
            await #expect(throws: VerificationError.taskNotFound("tsk-none")) { try await store.releaseTask(taskID: "tsk-none", verifierID: "v-1", now: Fixture.t0) }
            // Its lease ran out: another verifier gets it, and the first one's result is refused.
            let second = try #require(try await store.claimTask(verifierID: "v-2", now: late, lease: 60, taskID: "tsk-gold-2"))
            #expect(second.taskID == first.taskID)
            await #expect(throws: VerificationError.leasedToAnother) {
                _ = try await store.submitResult(taskID: first.taskID, verifierID: "v-1", result: verdict(.matchesPrompt), now: late)
            }
            // Given back, it is claimable again at once.
            try await store.releaseTask(taskID: second.taskID, verifierID: "v-2", now: late)
            let third = try #require(try await store.claimTask(verifierID: "v-3", now: late, lease: 60, taskID: "tsk-gold-3"))
            #expect(third.taskID == first.taskID)
        }
    }

    @Test(arguments: Engine.available)
    func anInvalidatedTakeLeavesItsCell(engine: Engine) async throws {
        try await withStore(engine) { store in
            let fixture = Fixture(store: store)
            let spec = Fixture.spec(dimensions: ["accent": DimensionSpec(targets: ["belge": QuotaTarget(count: 1)])])
            let campaign = try await fixture.campaign(spec: spec)
            let recording = try await fixture.acceptedTake(campaign, by: try await fixture.member("w-1", accent: "belge"))
            let next = try await fixture.member("w-2", accent: "belge")
            await #expect(throws: CollectionError.quotaFull(cell: "accent=belge", amount: "1 recordings")) {
                _ = try await store.assign(AssignmentGate(campaign: campaign, worker: next, noise: nil), now: Fixture.t0, id: "asg-x")
            }
            _ = try await store.saveTranscript(recordingID: recording.id, engine: "whisper", text: "", confidence: nil, wer: 1,
                                               policy: everyTakeChecked, doubleReviewRate: 0, now: Fixture.t0)
            let task = try #require(try await store.claimTask(verifierID: "v-1", now: Fixture.t0, lease: 600, taskID: "tsk-gold-1"))
            #expect(try await store.submitResult(taskID: task.taskID, verifierID: "v-1", result: verdict(.unusable), now: Fixture.t0) == .invalidated)
            #expect(try await store.outcome(recordingID: recording.id)?.transcript == nil)
            _ = try await fixture.assign(campaign, next)
            let inputs = try await store.reportInputs(campaign: campaign, now: Fixture.t0)
            #expect(inputs.accepted == 0)
            #expect(inputs.speakers == 0)
            #expect(inputs.workerTallies.first { $0.workerID == "w-1" }?.wrong == 1)
        }
    }

    @Test(arguments: Engine.available)
    func appealsAreHeardOnceWithinTheirWindow(engine: Engine) async throws {
        try await withStore(engine) { store in
            let fixture = Fixture(store: store)
            let campaign = try await fixture.campaign()
            let worker = try await fixture.member("w-1")
            let assignment = try await fixture.assign(campaign, worker)
            let rejected = try await fixture.upload(assignment, campaign: campaign, accepted: false)
            let accepted = try await fixture.acceptedTake(campaign, by: try await fixture.member("w-2"))
            _ = try await store.saveTranscript(recordingID: accepted.id, engine: "whisper", text: "", confidence: nil, wer: 0,
                                               policy: everyTakeChecked, doubleReviewRate: 0, now: Fixture.t0)
            let later = Fixture.t0.addingTimeInterval(3600)
            await #expect(throws: AppealError.recordingNotFound(rejected.id)) {
                _ = try await store.createAppeal(recordingID: rejected.id, workerID: "w-2", comment: nil, now: later, taskID: "t")
            }
            await #expect(throws: AppealError.notRejected) {
                _ = try await store.createAppeal(recordingID: accepted.id, workerID: "w-2", comment: nil, now: later, taskID: "t")
            }
            await #expect(throws: AppealError.windowClosed(days: 14)) {
                _ = try await store.createAppeal(recordingID: rejected.id, workerID: "w-1", comment: nil,
                                                 now: Fixture.t0.addingTimeInterval(15 * 86_400), taskID: "t")
            }
            let appeal = try await store.createAppeal(recordingID: rejected.id, workerID: "w-1", comment: "C'était bien moi.", now: later, taskID: "t")
            #expect(appeal == Appeal(recordingID: rejected.id, state: .pending, comment: "C'était bien moi.", createdAt: later, decidedAt: nil, reason: nil))
            #expect(try await store.appeal(recordingID: rejected.id) == appeal)
            await #expect(throws: AppealError.alreadyAppealed) {
                _ = try await store.createAppeal(recordingID: rejected.id, workerID: "w-1", comment: nil, now: later, taskID: "t")
            }
            #expect(try await store.reportInputs(campaign: campaign, now: later).pendingAppeals == 1)
            // Appeals are served before the sample queued earlier.
            let task = try #require(try await store.claimTask(verifierID: "v-1", now: later, lease: 600, taskID: "tsk-gold-1"))
            #expect(task.kind == .appeal)
            #expect(task.recordingID == rejected.id)
            #expect(try await store.submitResult(taskID: task.taskID, verifierID: "v-1", result: verdict(.corrected, "le train part"), now: later)
                == .validated)
            let upheld = try #require(try await store.appeal(recordingID: rejected.id))
            #expect(upheld.state == .upheld)
            #expect(upheld.decidedAt == later)
            #expect(try await store.recording(id: rejected.id)?.status == .accepted)
            #expect(try await store.outcome(recordingID: rejected.id)?.transcript == "le train part")
            #expect(try await store.summary(of: worker).earningsCents == 12)
            let inputs = try await store.reportInputs(campaign: campaign, now: later)
            #expect(inputs.accepted == 2)
            #expect(inputs.pendingAppeals == 0)
        }
    }

    @Test(arguments: Engine.available)
    func aDismissedAppealInvalidatesTheTake(engine: Engine) async throws {
        try await withStore(engine) { store in
            let fixture = Fixture(store: store)
            let campaign = try await fixture.campaign()
            let assignment = try await fixture.assign(campaign, try await fixture.member("w-1"))
            let rejected = try await fixture.upload(assignment, campaign: campaign, accepted: false)
            _ = try await store.createAppeal(recordingID: rejected.id, workerID: "w-1", comment: nil, now: Fixture.t0, taskID: "t")
            let task = try #require(try await store.claimTask(verifierID: "v-1", now: Fixture.t0, lease: 600, taskID: "tsk-gold-1"))
            #expect(try await store.submitResult(taskID: task.taskID, verifierID: "v-1", result: verdict(.unusable), now: Fixture.t0) == .invalidated)
            let dismissed = try #require(try await store.appeal(recordingID: rejected.id))
            #expect(dismissed.state == .dismissed)
            #expect(dismissed.reason == "plusieurs voix")
            #expect(try await store.recording(id: rejected.id)?.status == .rejected)
        }
    }

    @Test(arguments: Engine.available)
    func doubleReviewsMeasureAgreement(engine: Engine) async throws {
        try await withStore(engine) { store in
            let fixture = Fixture(store: store)
            let campaign = try await fixture.campaign()
            let recording = try await fixture.acceptedTake(campaign, by: try await fixture.member("w-1"))
            let kinds = try await store.saveTranscript(recordingID: recording.id, engine: "whisper", text: Fixture.sentences[0], confidence: nil,
                                                       wer: 0, policy: everyTakeChecked, doubleReviewRate: 1, now: Fixture.t0)
            #expect(kinds == [.sample, .double])
            let first = try #require(try await store.claimTask(verifierID: "v-1", now: Fixture.t0, lease: 600, taskID: "tsk-gold-1"))
            // Never two reviews of one take by the same verifier.
            #expect(try await store.claimTask(verifierID: "v-1", now: Fixture.t0, lease: 600, taskID: "tsk-gold-2") == nil)
            let second = try #require(try await store.claimTask(verifierID: "v-2", now: Fixture.t0, lease: 600, taskID: "tsk-gold-3"))
            #expect([first.kind, second.kind] == [.sample, .double])
            #expect(try await store.submitResult(taskID: first.taskID, verifierID: "v-1", result: verdict(.matchesPrompt),
                                                 now: Fixture.t0.addingTimeInterval(10)) == nil)
            #expect(try await store.submitResult(taskID: second.taskID, verifierID: "v-2", result: verdict(.corrected, "le train de lyon part"),
                                                 now: Fixture.t0.addingTimeInterval(20)) == .validated)
            // Both found it usable; the final transcript is the correction.
            #expect(try await store.outcome(recordingID: recording.id)?.transcript == "le train de lyon part")
            let wer = try await store.doubleReviewWER(campaignID: campaign.id)
            #expect(wer == ErrorRates(reference: Fixture.sentences[0], hypothesis: "le train de lyon part").wer)
            #expect(try await store.doubleReviewWER(campaignID: "cmp-none") == nil)
            let statistics = try await store.verifierStatistics()
            #expect(statistics.map(\.verifierID) == ["v-1", "v-2"])
            #expect(statistics.map(\.doubleReviews) == [1, 1])
            #expect(statistics.map(\.doubleAgreements) == [1, 1])
            let quality = try await store.qualityInputs(campaignID: campaign.id)
            #expect(quality.agreement.pairs == 1)
            #expect(quality.agreement.agreeing == 1)
            #expect(quality.accepted == 1)
            #expect(quality.certain == 1)
            #expect(quality.observations.map(\.wrong) == [false])
        }
    }

    @Test(arguments: Engine.available)
    func goldItemsScoreVerifiers(engine: Engine) async throws {
        try await withStore(engine) { store in
            let fixture = Fixture(store: store)
            let campaign = try await fixture.campaign()
            let recording = try await fixture.acceptedTake(campaign, by: try await fixture.member("w-1"))
            await #expect(throws: VerificationError.recordingNotFound("rec-none")) {
                try await store.setGold(recordingID: "rec-none", answer: verdict(.matchesPrompt))
            }
            try await store.setGold(recordingID: recording.id, answer: verdict(.corrected, "le train part"))
            try await store.setGold(recordingID: recording.id, answer: verdict(.matchesPrompt))
            // A verifier whose first claim draws a gold item (the draw is fixed by id and count).
            let verifier = try #require((1...10_000).lazy.map { "v-\($0)" }.first { SamplingPolicy.uniform("\($0)/0", seed: 5) < SQLiteStore.goldRate })
            let served = try #require(try await store.claimTask(verifierID: verifier, now: Fixture.t0, lease: 600, taskID: "tsk-gold-1"))
            #expect(served.taskID == "tsk-gold-1")
            #expect(served.kind == .sample)
            #expect(served.recordingID == recording.id)
            #expect(try await store.submitResult(taskID: served.taskID, verifierID: verifier, result: verdict(.corrected, "le train de lyon"),
                                                 now: Fixture.t0) == nil)
            #expect(try await store.outcome(recordingID: recording.id) == nil)
            let statistics = try #require(try await store.verifierStatistics().first)
            #expect(statistics.verifierID == verifier)
            #expect(statistics.reviews == 1)
            #expect(statistics.goldItems == 1)
            #expect(statistics.goldVerdictsRight == 0)
            #expect(statistics.goldMeanWER != nil)
        }
    }

    @Test(arguments: Engine.available)
    func aReleasedGoldItemIsGone(engine: Engine) async throws {
        try await withStore(engine) { store in
            let fixture = Fixture(store: store)
            let campaign = try await fixture.campaign()
            let recording = try await fixture.acceptedTake(campaign, by: try await fixture.member("w-1"))
            try await store.setGold(recordingID: recording.id, answer: verdict(.matchesPrompt))
            let verifier = try #require((1...10_000).lazy.map { "v-\($0)" }.first { SamplingPolicy.uniform("\($0)/0", seed: 5) < SQLiteStore.goldRate })
            let served = try #require(try await store.claimTask(verifierID: verifier, now: Fixture.t0, lease: 600, taskID: "tsk-gold-1"))
            try await store.releaseTask(taskID: served.taskID, verifierID: verifier, now: Fixture.t0)
            await #expect(throws: VerificationError.taskNotFound("tsk-gold-1")) {
                try await store.releaseTask(taskID: served.taskID, verifierID: verifier, now: Fixture.t0)
            }
        }
    }

    // MARK: The ASR work list

    @Test(arguments: Engine.available)
    func theTranscriptionQueueBacksOffAndGivesUp(engine: Engine) async throws {
        try await withStore(engine) { store in
            let fixture = Fixture(store: store)
            let campaign = try await fixture.campaign()
            let older = try await fixture.acceptedTake(campaign, by: try await fixture.member("w-1"), at: Fixture.t0)
            let newer = try await fixture.acceptedTake(campaign, by: try await fixture.member("w-2"), at: Fixture.t0.addingTimeInterval(10))
            let rejectedAssignment = try await fixture.assign(campaign, try await fixture.member("w-3"))
            try await fixture.upload(rejectedAssignment, campaign: campaign, accepted: false)
            let now = Fixture.t0.addingTimeInterval(60)
            #expect(try await store.pendingTranscriptions(engine: "whisper", now: now, maxAttempts: 2, limit: 10).map(\.id) == [older.id, newer.id])
            let backoff: @Sendable (Int) -> TimeInterval = { Double($0) * 100 }
            try await store.recordTranscriptionFailure(recordingID: older.id, engine: "whisper", error: "timeout", now: now, backoff: backoff)
            _ = try await store.saveTranscript(recordingID: newer.id, engine: "whisper", text: Fixture.sentences[1], confidence: nil, wer: 0,
                                               policy: everyTakeChecked, doubleReviewRate: 0, now: now)
            // Another engine has its own list.
            #expect(try await store.pendingTranscriptions(engine: "other", now: now, maxAttempts: 2, limit: 1).map(\.id) == [older.id])
            #expect(try await store.pendingTranscriptions(engine: "whisper", now: now.addingTimeInterval(99), maxAttempts: 2, limit: 10).isEmpty)
            let retry = now.addingTimeInterval(100)
            #expect(try await store.pendingTranscriptions(engine: "whisper", now: retry, maxAttempts: 2, limit: 10).map(\.id) == [older.id])
            try await store.recordTranscriptionFailure(recordingID: older.id, engine: "whisper", error: "timeout", now: retry, backoff: backoff)
            #expect(try await store.pendingTranscriptions(engine: "whisper", now: retry.addingTimeInterval(10_000), maxAttempts: 2, limit: 10).isEmpty)
        }
    }

    // MARK: Reports and exports

    @Test(arguments: Engine.available)
    func exportItemsCarryWhatVerificationFound(engine: Engine) async throws {
        try await withStore(engine) { store in
            let fixture = Fixture(store: store)
            let campaign = try await fixture.campaign()
            let worker = try await fixture.member("w-1", accent: "belge", gender: "female")
            let assignment = try await fixture.assign(campaign, worker, noise: .indoor)
            let recording = try await fixture.upload(assignment, campaign: campaign, duration: 2.5, id: "rec-1")
            _ = try await store.saveTranscript(recordingID: recording.id, engine: "whisper", text: "le train", confidence: nil, wer: 0.6,
                                               policy: everyTakeChecked, doubleReviewRate: 0, now: Fixture.t0)
            let task = try #require(try await store.claimTask(verifierID: "v-1", now: Fixture.t0, lease: 600, taskID: "tsk-gold-1"))
            _ = try await store.submitResult(taskID: task.taskID, verifierID: "v-1", result: verdict(.corrected, "le train part"), now: Fixture.t0)
            let items = try await store.exportItems(campaignID: campaign.id)
            #expect(items == [ExportItem(
                recordingId: "rec-1", workerId: "w-1", promptId: 1, promptText: Fixture.sentences[0], domain: nil, sentence: "le train part",
                outcome: "validated", asrText: "le train", durationS: 2.5, sampleRate: 16_000, snrDb: 30, accent: "belge", region: nil,
                gender: "female", ageBand: nil, noiseCondition: "indoor", sha256: recording.sha256, contentType: "audio/wav", upVotes: 1, downVotes: 0)])
        }
    }

    /// The same calls on every available engine give the same report and the same export.
    @Test func reportsAndExportsAreTheSameOnEveryEngine() async throws {
        var results: [Engine: (CampaignReport, [ExportItem], ReportInputs)] = [:]
        for engine in Engine.available {
            try await withStore(engine) { store in
                results[engine] = try await Self.reportScenario(store)
            }
        }
        let sqlite = try #require(results[.sqlite])
        #expect(sqlite.0.totals.takes == 9)
        // Six accepted by the DSP core, one found unusable since; the appeal is still pending.
        #expect(sqlite.0.totals.accepted == 5)
        #expect(sqlite.0.rejections.map { "\($0.code) \($0.takes)" } == ["low_snr 3"])
        #expect(sqlite.0.uploadsPerMinute.reduce(0, +) == 9)
        #expect(sqlite.1.count == 6)
        for (engine, result) in results where engine != .sqlite {
            #expect(result.0 == sqlite.0, "report on \(engine)")
            #expect(result.1 == sqlite.1, "export on \(engine)")
            #expect(result.2.acceptedBySpeaker == sqlite.2.acceptedBySpeaker)
            #expect(result.2.noise.map { "\($0.declared ?? "-")/\($0.measured ?? "-")/\($0.takes)" }
                == sqlite.2.noise.map { "\($0.declared ?? "-")/\($0.measured ?? "-")/\($0.takes)" })
            #expect(result.2.workerTallies == sqlite.2.workerTallies)
            #expect(result.2.backlog == sqlite.2.backlog)
            #expect(result.2.quality.observations.map(\.wrong) == sqlite.2.quality.observations.map(\.wrong))
        }
    }

    /// Workers in two accents, accepted and rejected takes over an hour, transcripts, reviews
    /// (one invalidating), an appeal and assignments still open.
    static func reportScenario(_ store: any ParloirStore) async throws -> (CampaignReport, [ExportItem], ReportInputs) {
        let fixture = Fixture(store: store)
        let spec = Fixture.spec(dimensions: [
            "accent": DimensionSpec(values: ["belge", "quebecois"], targets: ["belge": QuotaTarget(count: 4), "*": QuotaTarget(count: 6)]),
            "noise_condition": DimensionSpec(unit: .hours, targets: ["quiet": QuotaTarget(count: 1)]),
        ])
        let campaign = try await fixture.campaign(spec: spec, prompts: 8)
        let accents = ["belge", "quebecois", nil, "belge", "suisse"]
        var workers: [Member] = []
        for (index, accent) in accents.enumerated() {
            workers.append(try await fixture.member("w-\(index + 1)", accent: accent, gender: index.isMultiple(of: 2) ? "female" : "male"))
        }
        var recordings: [Recording] = []
        for step in 0..<9 {
            let worker = workers[step % workers.count]
            let time = Fixture.t0.addingTimeInterval(Double(step) * 300)
            let assignment = try await fixture.assign(campaign, worker, noise: step.isMultiple(of: 3) ? .quiet : nil, at: time, id: "asg-\(step)")
            // Rejected takes leave their assignments open: the last take of each of these workers.
            let accepted = ![4, 7, 8].contains(step)
            recordings.append(try await fixture.upload(assignment, campaign: campaign, accepted: accepted, duration: 1.5 + Double(step) * 0.25,
                                                       at: time, id: "rec-\(step)", sha256: "sha-\(step)"))
        }
        for (index, recording) in recordings.enumerated() where recording.status == .accepted {
            _ = try await store.saveTranscript(recordingID: recording.id, engine: "whisper", text: "hypothèse \(index)", confidence: 0.8,
                                               wer: index.isMultiple(of: 3) ? 0.5 : 0.1, policy: everyTakeChecked,
                                               doubleReviewRate: index == 5 ? 1 : 0, now: Fixture.t0.addingTimeInterval(3000))
        }
        _ = try await store.createAppeal(recordingID: "rec-4", workerID: "w-5", comment: "relu", now: Fixture.t0.addingTimeInterval(3100), taskID: "t")
        // Three results: one validating, one invalidating, one correcting; the rest stay queued.
        for (index, result) in [verdict(.matchesPrompt), verdict(.unusable), verdict(.corrected, "une autre phrase")].enumerated() {
            let time = Fixture.t0.addingTimeInterval(3200 + Double(index))
            let verifier = "v-\(index + 1)"
            guard let task = try await store.claimTask(verifierID: verifier, now: time, lease: 600, taskID: "tsk-gold-\(index)"),
                  task.kind != .appeal else { continue }
            _ = try await store.submitResult(taskID: task.taskID, verifierID: verifier, result: result, now: time)
        }
        // Two more assignments under way at report time, with the rejected takes' three.
        _ = try await fixture.assign(campaign, workers[0], at: Fixture.t0.addingTimeInterval(3300), id: "asg-open-1")
        _ = try await fixture.assign(campaign, workers[1], noise: .quiet, at: Fixture.t0.addingTimeInterval(3300), id: "asg-open-2")
        let now = Fixture.t0.addingTimeInterval(3400)
        let inputs = try await store.reportInputs(campaign: campaign, now: now)
        return (CampaignReport(campaign: campaign, inputs: inputs, now: now), try await store.exportItems(campaignID: campaign.id), inputs)
    }

    // MARK: Schema

    @Test(arguments: Engine.available)
    func aDatabaseFromANewerParloirIsRefused(engine: Engine) async throws {
        try await withStores(engine, replicas: 0) { _, database in
            try await database.open().close()
            switch engine {
            case .sqlite:
                let queue = try DatabaseQueue(path: String(database.url.dropFirst("sqlite:".count)))
                try await queue.write { db in try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('from-the-future')") }
                try queue.close()
            case .postgres:
                try await PostgresAdmin.execute("INSERT INTO parloir_migrations (id, applied_at) VALUES ('from-the-future', now())",
                                                database: database.postgresName)
            }
            do {
                let store = try await database.open()
                try? await store.close()
                Issue.record("a database with an unknown migration was opened")
            } catch let StoreError.newerSchema(known, found) {
                #expect(found.contains("from-the-future"))
                #expect(!known.contains("from-the-future"))
                #expect(Set(known).isSubset(of: found))
            }
        }
    }

    @Test(arguments: Engine.available)
    func reopeningKeepsEverything(engine: Engine) async throws {
        try await withStores(engine, replicas: 0) { _, database in
            let store = try await database.open()
            let fixture = Fixture(store: store)
            let campaign = try await fixture.campaign()
            let recording = try await fixture.acceptedTake(campaign, by: try await fixture.member("w-1"))
            try await store.close()
            let reopened = try await database.open()
            #expect(try await reopened.recording(id: recording.id) == recording)
            #expect(try await reopened.campaign(id: campaign.id) == campaign)
            try await reopened.ping()
            try await reopened.maintain()
            try await reopened.close()
        }
    }
}
