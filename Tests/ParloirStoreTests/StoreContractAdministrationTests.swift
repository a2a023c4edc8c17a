import Foundation
import ParloirCore
import ParloirStore
import ParloirTestServers
import Testing

/// A campaign's prompts and the members as the team manages them: the same contract on every
/// engine, with replicas writing at once where a count could move twice.
extension StoreContractTests {
    @Test(arguments: Engine.available)
    func aPromptListingCountsTakesSpeakersSkipsReportsAndOpenAssignments(engine: Engine) async throws {
        try await withStore(engine) { store in
            let fixture = Fixture(store: store)
            let campaign = try await fixture.campaign(spec: Fixture.spec(speakersPerPrompt: 3), prompts: 2)
            let now = Date()
            let first = try await fixture.assign(campaign, try await fixture.member("w-1"), at: now)
            let prompt = first.promptID
            try await fixture.upload(first, campaign: campaign, accepted: false, at: now)
            try await fixture.upload(try #require(try await store.assignment(id: first.id)), campaign: campaign, accepted: true, at: now)
            // Five more workers spread over the two prompts (each wants three speakers).
            var byPrompt: [Int64: [Assignment]] = [:]
            for index in 2...6 {
                let assignment = try await fixture.assign(campaign, try await fixture.member("w-\(index)"), at: now)
                byPrompt[assignment.promptID, default: []].append(assignment)
            }
            let other = try #require(byPrompt.keys.first { $0 != prompt })
            let onOther = try #require(byPrompt[other])
            #expect(onOther.count >= 2)
            _ = try await store.setAside(assignmentID: onOther[0].id, workerID: onOther[0].workerID, reason: .offensive, comment: nil, now: now)
            _ = try await store.setAside(assignmentID: onOther[1].id, workerID: onOther[1].workerID, reason: .skip, comment: nil, now: now)

            let listed = try await store.promptListings(campaignID: campaign.id, after: nil, limit: 10, now: now)
            #expect(listed.map(\.id) == listed.map(\.id).sorted())
            let recorded = try #require(listed.first { $0.id == prompt })
            #expect(recorded.takes == 2 && recorded.accepted == 1 && recorded.speakers == 1)
            #expect(recorded.open == (byPrompt[prompt]?.count ?? 0))
            let reported = try #require(listed.first { $0.id == other })
            #expect(reported.takes == 0 && reported.skipped == 1 && reported.reported == 1)
            #expect(reported.open == onOther.count - 2)
            #expect(reported.disabledAt == nil)

            // Pages: one at a time, in id order.
            let page = try await store.promptListings(campaignID: campaign.id, after: listed[0].id, limit: 1, now: now)
            #expect(page.map(\.id) == [listed[1].id])
            #expect(try await store.promptListings(campaignID: campaign.id, after: listed[1].id, limit: 1, now: now).isEmpty)
        }
    }

    @Test(arguments: Engine.available)
    func aDisabledPromptIsGivenToNobodyNewAndLeavesThePlanOnceWhileReplicasDisableItAtOnce(engine: Engine) async throws {
        try await withStores(engine, replicas: 2) { stores, _ in
            let fixture = Fixture(store: stores[0])
            // Six prompts heard once each, a worker capped at half of them: 3 takes.
            let campaign = try await fixture.campaign(spec: Fixture.spec(speakersPerPrompt: 1, speakerCap: 0.5), prompts: 6)
            let now = Date()
            let prompts = try await stores[0].promptListings(campaignID: campaign.id, after: nil, limit: 10, now: now).map(\.id)
            let disabled = Array(prompts.prefix(2))
            // Each of two prompts disabled by both replicas at once, twice over.
            try await withThrowingTaskGroup(of: PromptListing.self) { group in
                for prompt in disabled {
                    for round in 0..<4 {
                        let store = stores[round % 2]
                        group.addTask { try await store.setPromptDisabled(campaignID: campaign.id, promptID: prompt, at: now, now: now) }
                    }
                }
                for try await listing in group { #expect(listing.disabledAt != nil) }
            }
            let worker = try await fixture.member("w-1")
            var given: [Int64] = []
            for _ in 0..<2 {
                let assignment = try await fixture.assign(campaign, worker, at: now)
                given.append(assignment.promptID)
                try await fixture.upload(assignment, campaign: campaign, at: now)
            }
            #expect(Set(given).isDisjoint(with: disabled))
            // Four prompts left in the plan: the cap is 2 takes, not 3 (never disabled) or 1 (disabled twice).
            await #expect(throws: CollectionError.speakerCap(recordings: 2, cap: 2, share: 0.5)) {
                _ = try await stores[1].assign(AssignmentGate(campaign: campaign, worker: worker, noise: nil), now: now, id: "asg-cap")
            }
            #expect(try await stores[1].reportInputs(campaign: campaign, now: now).promptCount == 4)

            // Enabled again: back in the plan and given out.
            let again = try await stores[1].setPromptDisabled(campaignID: campaign.id, promptID: disabled[0], at: nil, now: now)
            #expect(again.disabledAt == nil)
            #expect(try await stores[0].reportInputs(campaign: campaign, now: now).promptCount == 5)
            // Five prompts planned, a cap of 3: the three enabled prompts nobody recorded, the one
            // enabled again among them.
            let other = try await fixture.member("w-2")
            var seen: Set<Int64> = []
            for _ in 0..<3 {
                let assignment = try await fixture.assign(campaign, other, at: now)
                seen.insert(assignment.promptID)
                try await fixture.upload(assignment, campaign: campaign, at: now)
            }
            #expect(seen == Set(prompts).subtracting(given).subtracting([disabled[1]]))

            await #expect(throws: AdministrationError.promptNotFound(campaignID: campaign.id, promptID: 999_999)) {
                _ = try await stores[0].setPromptDisabled(campaignID: campaign.id, promptID: 999_999, at: now, now: now)
            }
        }
    }

    @Test(arguments: Engine.available)
    func onlyAPromptNobodyRecordedOrHoldsIsDeleted(engine: Engine) async throws {
        try await withStore(engine) { store in
            let fixture = Fixture(store: store)
            let campaign = try await fixture.campaign(spec: Fixture.spec(speakersPerPrompt: 1), prompts: 4)
            let now = Date()
            let recorded = try await fixture.assign(campaign, try await fixture.member("w-1"), at: now)
            try await fixture.upload(recorded, campaign: campaign, at: now)
            let held = try await fixture.assign(campaign, try await fixture.member("w-2"), at: now)
            let walkedAway = try await fixture.assign(campaign, try await fixture.member("w-4"), at: now)
            let setAside = try await fixture.assign(campaign, try await fixture.member("w-3"), at: now)
            _ = try await store.setAside(assignmentID: setAside.id, workerID: setAside.workerID, reason: .unreadable, comment: "illisible", now: now)
            #expect(Set([recorded, held, walkedAway, setAside].map(\.promptID)).count == 4)

            await #expect(throws: AdministrationError.promptInUse(takes: 1, open: 0)) {
                try await store.deletePrompt(campaignID: campaign.id, promptID: recorded.promptID, now: now)
            }
            await #expect(throws: AdministrationError.promptInUse(takes: 0, open: 1)) {
                try await store.deletePrompt(campaignID: campaign.id, promptID: held.promptID, now: now)
            }
            try await store.deletePrompt(campaignID: campaign.id, promptID: setAside.promptID, now: now)
            // Once its time has run out (the fixture's campaign gives 30 minutes), an assignment
            // holds nothing: deleting the prompt gives its place back and deletes it.
            try await store.deletePrompt(campaignID: campaign.id, promptID: walkedAway.promptID, now: now.addingTimeInterval(3600))
            let left = try await store.promptListings(campaignID: campaign.id, after: nil, limit: 10, now: now).map(\.id)
            #expect(Set(left) == [recorded.promptID, held.promptID])
            #expect(try await store.promptsSetAside(campaignID: campaign.id).isEmpty)
            #expect(try await store.assignment(id: walkedAway.id) == nil)
            #expect(try await store.reportInputs(campaign: campaign, now: now).promptCount == 2)
            await #expect(throws: AdministrationError.promptNotFound(campaignID: campaign.id, promptID: setAside.promptID)) {
                try await store.deletePrompt(campaignID: campaign.id, promptID: setAside.promptID, now: now)
            }
            // A prompt of another campaign is not found through this one.
            let second = try await fixture.campaign(id: "cmp-2", spec: Fixture.spec("Autre campagne"), prompts: 1)
            let foreign = try #require(try await store.promptListings(campaignID: second.id, after: nil, limit: 1, now: now).first)
            await #expect(throws: AdministrationError.promptNotFound(campaignID: campaign.id, promptID: foreign.id)) {
                try await store.deletePrompt(campaignID: campaign.id, promptID: foreign.id, now: now)
            }
        }
    }

    @Test(arguments: Engine.available)
    func membersAreListedDisabledAndGivenANewToken(engine: Engine) async throws {
        try await withStores(engine, replicas: 2) { stores, _ in
            let fixture = Fixture(store: stores[0])
            let campaign = try await fixture.campaign()
            let worker = try await fixture.member("w-1", accent: "belge", region: "belgique", gender: "female")
            _ = try await fixture.member("v-1", role: .verifier)
            try await fixture.acceptedTake(campaign, by: worker)

            let all = try await stores[1].memberListings(role: nil, after: nil, limit: 10)
            #expect(all.map(\.member.id) == ["v-1", "w-1"])
            let listed = try #require(all.last)
            #expect(listed.member.profile.accent == "belge" && listed.takes == 1 && listed.accepted == 1)
            #expect(listed.earningsCents == campaign.spec.pieceRateCents)
            #expect(try await stores[1].memberListings(role: .worker, after: nil, limit: 10).map(\.member.id) == ["w-1"])
            #expect(try await stores[1].memberListings(role: nil, after: "v-1", limit: 10).map(\.member.id) == ["w-1"])

            let first = Date(timeIntervalSince1970: 1_760_000_000)
            #expect(try await stores[0].setMemberDisabled(id: "w-1", at: first))
            #expect(try await stores[1].setMemberDisabled(id: "w-1", at: first.addingTimeInterval(60)))
            #expect(try await stores[1].member(tokenHash: "hash-w-1")?.disabledAt == first, "disabling twice keeps the first date")
            #expect(try await stores[0].setMemberDisabled(id: "w-1", at: nil))
            #expect(try await stores[0].member(tokenHash: "hash-w-1")?.disabledAt == nil)
            #expect(try await stores[0].setMemberDisabled(id: "w-unknown", at: first) == false)

            #expect(try await stores[1].replaceToken(memberID: "w-1", tokenHash: "hash-new"))
            #expect(try await stores[0].member(tokenHash: "hash-w-1") == nil)
            #expect(try await stores[0].member(tokenHash: "hash-new")?.id == "w-1")
            #expect(try await stores[0].replaceToken(memberID: "w-unknown", tokenHash: "hash-other") == false)
        }
    }

    @Test(arguments: Engine.available)
    func aRevokedInviteLetsNobodyJoinWhileReplicasJoinAtOnceAndIsListedExpired(engine: Engine) async throws {
        try await withStores(engine, replicas: 2) { stores, _ in
            let fixture = Fixture(store: stores[0])
            let campaign = try await fixture.campaign()
            try await stores[0].createInvite(Self.invite(campaign, id: "inv-1"), codeHash: "code-1")
            try await stores[0].createInvite(Self.invite(campaign, id: "inv-2", uses: 1), codeHash: "code-2")
            // The joins happen at the fixture's time: revoked a second before it, the invite
            // refuses every join that comes after the revocation.
            let revokedAt = Fixture.t0.addingTimeInterval(-1)
            // Eight joins spread over the replicas, the revocation among them: every join either
            // counted its use before it or is refused, and the count says how many got in.
            async let joins = Self.joinAtOnce(stores, count: 8) { _ in nil }
            async let revoked = stores[1].expireInvite(campaignID: campaign.id, id: "inv-1", now: revokedAt)
            let ((joined, refused), invite) = try await (joins, revoked)
            #expect(Set(refused).isSubset(of: [.inviteExpired]))
            #expect(joined.count + refused.count == 8)
            let after = try #require(try await stores[0].invite(codeHash: "code-1"))
            #expect(after.used == joined.count && after.expiresAt == invite?.expiresAt)
            await #expect(throws: EnrolmentError.inviteExpired) {
                _ = try await stores[0].join(codeHash: "code-1", member: Self.joining("w-late"), tokenHash: "hash-w-late",
                                             participantHash: nil, now: revokedAt.addingTimeInterval(1))
            }
            // Revoking again keeps the first expiry; an unknown id, or another campaign's, is nil.
            let again = try await stores[0].expireInvite(campaignID: campaign.id, id: "inv-1", now: revokedAt.addingTimeInterval(60))
            #expect(again?.expiresAt == invite?.expiresAt)
            #expect(try await stores[0].expireInvite(campaignID: campaign.id, id: "inv-0", now: revokedAt) == nil)
            #expect(try await stores[0].expireInvite(campaignID: "cmp-other", id: "inv-2", now: revokedAt) == nil)

            let listed = try await stores[1].invites(campaignID: campaign.id)
            #expect(Set(listed.map(\.id)) == ["inv-1", "inv-2"])
            #expect(listed.first { $0.id == "inv-2" }?.refusal(at: revokedAt) == nil)
            #expect(listed.first { $0.id == "inv-1" }?.refusal(at: revokedAt.addingTimeInterval(1)) == .inviteExpired)
        }
    }

    @Test(arguments: Engine.available)
    func aWorkerAddedToACampaignIsEnrolledInItAndErasedWithIt(engine: Engine) async throws {
        try await withStore(engine) { store in
            let fixture = Fixture(store: store)
            let campaign = try await fixture.campaign()
            let member = Member(id: "w-added", role: .worker, profile: WorkerProfile(accent: "belge", consentAt: Fixture.t0), createdAt: Fixture.t0)
            try await store.createEnrolledMember(member, tokenHash: "hash-w-added", campaignID: campaign.id, now: Fixture.t0)
            #expect(try await store.member(tokenHash: "hash-w-added") == member)
            #expect(try await store.enrolment(memberID: "w-added") == Enrolment(memberID: "w-added", campaignID: campaign.id, inviteID: Enrolment.addedByAdmin))
            // Nothing half-written: a second member with the same token hash stores neither row.
            let twin = Member(id: "w-twin", role: .worker, profile: WorkerProfile(), createdAt: Fixture.t0)
            await #expect(throws: (any Error).self) {
                try await store.createEnrolledMember(twin, tokenHash: "hash-w-added", campaignID: campaign.id, now: Fixture.t0)
            }
            #expect(try await store.enrolment(memberID: "w-twin") == nil)
            _ = try await store.eraseMember(id: "w-added", requestedBy: "a-admin", now: Fixture.t0, erasureID: "era-1")
            #expect(try await store.enrolment(memberID: "w-added") == nil)
        }
    }
}
