import Foundation
import ParloirCore
import ParloirStore
import ParloirTestServers
import Testing

/// Invites, joining, service keys and prompts set aside: the same contract on every engine, with
/// replicas writing at once where a rule could be broken by two writers.
extension StoreContractTests {
    static func invite(_ campaign: Campaign, id: String = "inv-1", uses: Int? = nil, expiresAt: Date? = nil) -> Invite {
        Invite(id: id, campaignID: campaign.id, maxUses: uses, used: 0, expiresAt: expiresAt, participantParam: "PROLIFIC_PID",
               createdAt: Fixture.t0)
    }

    static func joining(_ id: String) -> Member {
        Member(id: id, role: .worker, profile: WorkerProfile(accent: "belge", consentAt: Fixture.t0), createdAt: Fixture.t0)
    }

    /// Joins `count` workers at once, spread over the replicas; the enrolments made and the errors thrown.
    static func joinAtOnce(_ stores: [any ParloirStore], count: Int, participant: (Int) -> String?) async -> ([Enrolment], [EnrolmentError]) {
        await withTaskGroup(of: Result<Enrolment, EnrolmentError>.self) { group in
            for index in 0..<count {
                let store = stores[index % stores.count]
                let participantHash = participant(index)
                group.addTask {
                    do {
                        return .success(try await store.join(codeHash: "code-1", member: joining("w-\(index)"), tokenHash: "hash-w-\(index)",
                                                             participantHash: participantHash, now: Fixture.t0))
                    } catch let error as EnrolmentError {
                        return .failure(error)
                    } catch {
                        Issue.record("unexpected \(error)")
                        return .failure(.inviteNotFound)
                    }
                }
            }
            var joined: [Enrolment] = [], refused: [EnrolmentError] = []
            for await result in group {
                switch result {
                case .success(let enrolment): joined.append(enrolment)
                case .failure(let error): refused.append(error)
                }
            }
            return (joined, refused)
        }
    }

    @Test(arguments: Engine.available)
    func anInviteIsUsedNoMoreThanItsUsesWhileReplicasJoinAtOnce(engine: Engine) async throws {
        try await withStores(engine, replicas: 2) { stores, _ in
            let fixture = Fixture(store: stores[0])
            let campaign = try await fixture.campaign()
            try await stores[0].createInvite(Self.invite(campaign, uses: 3), codeHash: "code-1")
            let (joined, refused) = await Self.joinAtOnce(stores, count: 8) { _ in nil }
            #expect(joined.count == 3)
            #expect(refused == Array(repeating: .inviteUsedUp, count: 5))
            #expect(try await stores[1].invite(codeHash: "code-1")?.used == 3)
            for enrolment in joined {
                #expect(try await stores[1].enrolment(memberID: enrolment.memberID) == enrolment)
                #expect(try await stores[1].member(tokenHash: "hash-\(enrolment.memberID)")?.profile.consentAt == Fixture.t0)
                #expect(enrolment.campaignID == campaign.id && enrolment.inviteID == "inv-1")
            }
            #expect(try await stores[0].memberCount(role: .worker) == 3, "a refused join leaves no member behind")
        }
    }

    @Test(arguments: Engine.available)
    func aParticipantJoinsACampaignOnceAndARefusedJoinCountsNothing(engine: Engine) async throws {
        try await withStores(engine, replicas: 2) { stores, _ in
            let fixture = Fixture(store: stores[0])
            let campaign = try await fixture.campaign()
            try await stores[0].createInvite(Self.invite(campaign, uses: 10), codeHash: "code-1")
            let (joined, refused) = await Self.joinAtOnce(stores, count: 6) { index in index < 4 ? "participant-a" : nil }
            #expect(joined.count == 3, "one participant-a and the two without a participant id")
            #expect(refused == Array(repeating: .alreadyJoined, count: 3))
            #expect(try await stores[0].invite(codeHash: "code-1")?.used == 3)
            #expect(try await stores[0].memberCount(role: .worker) == 3)
        }
    }

    @Test(arguments: Engine.available)
    func anExpiredOrUnknownInviteIsRefused(engine: Engine) async throws {
        try await withStore(engine) { store in
            let fixture = Fixture(store: store)
            let campaign = try await fixture.campaign()
            try await store.createInvite(Self.invite(campaign, expiresAt: Fixture.t0.addingTimeInterval(60)), codeHash: "code-1")
            let stored = try #require(try await store.invite(codeHash: "code-1"))
            #expect(stored == Self.invite(campaign, expiresAt: Fixture.t0.addingTimeInterval(60)))
            await #expect(throws: EnrolmentError.inviteExpired) {
                _ = try await store.join(codeHash: "code-1", member: Self.joining("w-1"), tokenHash: "hash-w-1", participantHash: nil,
                                         now: Fixture.t0.addingTimeInterval(60))
            }
            await #expect(throws: EnrolmentError.inviteNotFound) {
                _ = try await store.join(codeHash: "code-2", member: Self.joining("w-1"), tokenHash: "hash-w-1", participantHash: nil, now: Fixture.t0)
            }
            #expect(try await store.invite(codeHash: "code-2") == nil)
            #expect(try await store.enrolment(memberID: "w-1") == nil)
            #expect(try await store.memberCount(role: .worker) == 0)
        }
    }

    @Test(arguments: Engine.available)
    func everyReplicaEndsWithTheSameServiceKey(engine: Engine) async throws {
        try await withStores(engine, replicas: 2) { stores, _ in
            async let first = stores[0].serviceKey(name: "participant-id", proposed: [1, 2, 3])
            async let second = stores[1].serviceKey(name: "participant-id", proposed: [4, 5, 6])
            let (a, b) = try await (first, second)
            #expect(a == b && (a == [1, 2, 3] || a == [4, 5, 6]))
            #expect(try await stores[1].serviceKey(name: "participant-id", proposed: [9]) == a)
            #expect(try await stores[1].serviceKey(name: "other", proposed: [9]) == [9])
        }
    }

    @Test(arguments: Engine.available)
    func aPromptSetAsideLeavesTheWorkersRotationAndGivesItsPlaceBack(engine: Engine) async throws {
        try await withStores(engine) { stores, database in
            let store = stores[0]
            let fixture = Fixture(store: store)
            let spec = Fixture.spec(speakersPerPrompt: 1, dimensions: ["accent": DimensionSpec(targets: ["belge": QuotaTarget(count: 5)])])
            let campaign = try await fixture.campaign(spec: spec, prompts: 2)
            let worker = try await fixture.member("w-1", accent: "belge"), other = try await fixture.member("w-2", accent: "belge")
            let first = try await fixture.assign(campaign, worker)
            #expect(first.promptID == 1)
            let held = try await Self.tallies(database)
            #expect(held.last == "accent=belge 0 0 1")

            let setAside = try await store.setAside(assignmentID: first.id, workerID: worker.id, reason: .offensive, comment: "insultant",
                                                    now: Fixture.t0)
            #expect(setAside.state == .setAside && setAside.id == first.id)
            let givenBack = try await Self.tallies(database)
            #expect(givenBack.last == "accent=belge 0 0 0")
            // Again: the same answer, counted once.
            #expect(try await store.setAside(assignmentID: first.id, workerID: worker.id, reason: .offensive, comment: nil, now: Fixture.t0).state == .setAside)
            #expect(try await store.promptsSetAside(campaignID: campaign.id)
                == [PromptSetAsideCount(promptID: 1, text: Fixture.sentences[0], counts: [.offensive: 1])])
            // No take on it any more; the worker moves on to the other prompt, and the place it
            // held goes to someone else.
            await #expect(throws: CollectionError.assignmentFinished(takesUsed: 0)) {
                try await store.saveTake(fixture.take(setAside, campaign: campaign), now: Fixture.t0)
            }
            #expect(try await fixture.assign(campaign, worker).promptID == 2)
            #expect(try await fixture.assign(campaign, other).promptID == 1)
            // Another's assignment is not found, whatever its id.
            await #expect(throws: CollectionError.assignmentNotFound(first.id)) {
                _ = try await store.setAside(assignmentID: first.id, workerID: other.id, reason: .skip, comment: nil, now: Fixture.t0)
            }
        }
    }

    @Test(arguments: Engine.available)
    func anAssignmentWithAnAcceptedTakeIsNotSetAside(engine: Engine) async throws {
        try await withStore(engine) { store in
            let fixture = Fixture(store: store)
            let campaign = try await fixture.campaign()
            let worker = try await fixture.member("w-1")
            let take = try await fixture.acceptedTake(campaign, by: worker)
            await #expect(throws: CollectionError.assignmentFinished(takesUsed: 1)) {
                _ = try await store.setAside(assignmentID: take.assignmentID, workerID: worker.id, reason: .unreadable, comment: nil, now: Fixture.t0)
            }
            #expect(try await store.promptsSetAside(campaignID: campaign.id).isEmpty)
        }
    }

    @Test(arguments: Engine.available)
    func anUploadAndASetAsideOfOneAssignmentHappenOneAfterTheOther(engine: Engine) async throws {
        try await withStores(engine, replicas: 2) { stores, database in
            let fixture = Fixture(store: stores[0])
            let spec = Fixture.spec(dimensions: ["accent": DimensionSpec(targets: ["belge": QuotaTarget(count: 50)])])
            let campaign = try await fixture.campaign(spec: spec, prompts: 12)
            var accepted = 0
            for round in 0..<6 {
                let worker = try await fixture.member("w-\(round)", accent: "belge")
                let assignment = try await fixture.assign(campaign, worker)
                async let upload: Bool = {
                    do {
                        try await stores[round % 2].saveTake(fixture.take(assignment, campaign: campaign), now: Fixture.t0)
                        return true
                    } catch CollectionError.assignmentFinished { return false }
                }()
                async let skip: Bool = {
                    do {
                        _ = try await stores[(round + 1) % 2].setAside(assignmentID: assignment.id, workerID: worker.id, reason: .skip,
                                                                       comment: nil, now: Fixture.t0)
                        return true
                    } catch CollectionError.assignmentFinished { return false }
                }()
                let (uploaded, skipped) = try await (upload, skip)
                #expect(uploaded != skipped, "exactly one of them happens")
                #expect(try await stores[0].assignment(id: assignment.id)?.state == (uploaded ? .finished : .setAside))
                if uploaded { accepted += 1 }
            }
            let tallies = try await Self.tallies(database)
            #expect(tallies.last == "accent=belge \(accepted) \(accepted) 0")
        }
    }

    @Test(arguments: Engine.available)
    func erasingAWorkerRemovesTheirEnrolmentAndTheirSetAsides(engine: Engine) async throws {
        try await withStores(engine) { stores, database in
            let store = stores[0]
            let fixture = Fixture(store: store)
            let campaign = try await fixture.campaign()
            try await store.createInvite(Self.invite(campaign), codeHash: "code-1")
            _ = try await store.join(codeHash: "code-1", member: Self.joining("w-1"), tokenHash: "hash-w-1", participantHash: "ph-1", now: Fixture.t0)
            let worker = try #require(try await store.member(tokenHash: "hash-w-1"))
            let assignment = try await fixture.assign(campaign, worker)
            _ = try await store.setAside(assignmentID: assignment.id, workerID: worker.id, reason: .notFrench, comment: nil, now: Fixture.t0)
            _ = try await store.eraseMember(id: worker.id, requestedBy: Erasure.bySelf, now: Fixture.t0, erasureID: "era-1")
            let left = try await Self.rowsNaming(["w-1", "ph-1", assignment.id], in: database)
            #expect(left.isEmpty, "rows still naming the erased worker: \(left)")
            #expect(try await store.promptsSetAside(campaignID: campaign.id).isEmpty)
            // The participant id is forgotten with them: they may join again, as a new worker.
            _ = try await store.join(codeHash: "code-1", member: Self.joining("w-2"), tokenHash: "hash-w-2", participantHash: "ph-1", now: Fixture.t0)
        }
    }

    @Test(arguments: Engine.available)
    func consentIsGivenAndWithdrawnAndTheProfileKeptOtherwise(engine: Engine) async throws {
        try await withStore(engine) { store in
            let fixture = Fixture(store: store)
            let worker = try await fixture.member("w-1", accent: "belge", region: "belgique")
            #expect(try await store.member(tokenHash: "hash-w-1")?.profile.consentAt == nil)
            #expect(try await store.setConsent(memberID: "w-1", at: Fixture.t0))
            var expected = worker.profile
            expected.consentAt = Fixture.t0
            #expect(try await store.member(tokenHash: "hash-w-1")?.profile == expected)
            #expect(try await store.setConsent(memberID: "w-1", at: nil))
            #expect(try await store.member(tokenHash: "hash-w-1")?.profile == worker.profile)
            #expect(try await store.setConsent(memberID: "w-404", at: Fixture.t0) == false)
        }
    }

    @Test(arguments: Engine.available)
    func aPausedOrClosedCampaignMakesNoNewAssignmentButKeepsThoseUnderWay(engine: Engine) async throws {
        try await withStore(engine) { store in
            let fixture = Fixture(store: store)
            let campaign = try await fixture.campaign()
            let busy = try await fixture.member("w-1"), newcomer = try await fixture.member("w-2")
            let underWay = try await fixture.assign(campaign, busy)
            #expect(try await store.campaignStates() == [campaign.id: .open])
            try await store.setCampaignState(id: campaign.id, state: .paused)
            #expect(try await store.campaignStates() == [campaign.id: .paused])
            await #expect(throws: CollectionError.campaignNotOpen(.paused)) {
                _ = try await store.assign(AssignmentGate(campaign: campaign, worker: newcomer, noise: nil), now: Fixture.t0, id: "asg-x")
            }
            // The assignment under way stays its worker's, and its take is accepted.
            let again = try #require(try await store.assign(AssignmentGate(campaign: campaign, worker: busy, noise: nil), now: Fixture.t0, id: "asg-y"))
            #expect(again.assignment.id == underWay.id && !again.created)
            try await store.saveTake(fixture.take(underWay, campaign: campaign), now: Fixture.t0)
            try await store.setCampaignState(id: campaign.id, state: .open)
            #expect(try await fixture.assign(campaign, newcomer).campaignID == campaign.id)
            try await store.setCampaignState(id: campaign.id, state: .closed)
            await #expect(throws: CollectionError.campaignNotOpen(.closed)) {
                _ = try await store.assign(AssignmentGate(campaign: campaign, worker: busy, noise: nil), now: Fixture.t0, id: "asg-z")
            }
            await #expect(throws: CampaignStoreError.closed(campaignID: campaign.id)) {
                try await store.setCampaignState(id: campaign.id, state: .open)
            }
            await #expect(throws: CampaignStoreError.notFound(campaignID: "cmp-404")) {
                try await store.setCampaignState(id: "cmp-404", state: .paused)
            }
        }
    }
}
