import Foundation
import Hummingbird
import HummingbirdTesting
import ParloirCore
import Testing

/// The team's day-to-day administration over the real server: a campaign's prompts listed with
/// what became of them, disabled and deleted; members listed, disabled and given new tokens;
/// profiles checked against the campaign's values.
@Suite struct AdministrationTests {
    static let prompts = ["Allume la lumière de la cuisine.", "Ferme les volets du salon.", "Mets de la musique douce.",
                          "Quelle heure est-il à Montréal ?"]

    func prompts(_ session: Session, _ campaign: String, query: String = "") async throws -> [[String: Any]] {
        let answer = try await session.request(.get, "/v1/campaigns/\(campaign)/prompts\(query)", token: session.adminToken)
        #expect(answer.status == 200, "\(String(decoding: answer.body, as: UTF8.self))")
        return answer["prompts"] as? [[String: Any]] ?? []
    }

    @Test func promptsAreListedWithTheirCountsDisabledAndDeletedOnlyWhenUnrecorded() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Self.prompts, speakers: 1)
            let worker = try await session.addWorker()
            let take = try await session.record("clean_fr-fr_0.wav", campaign: campaign, token: worker.token)
            #expect(take.status == 201)
            let other = try await session.addWorker()
            let skipped = try await session.openAssignment(campaign: campaign, token: other.token)
            let reported = try await session.json(.post, "/v1/assignments/\(skipped)/skip", token: other.token, ["reason": "offensive"])
            #expect(reported.status == 200, "\(String(decoding: reported.body, as: UTF8.self))")

            let listed = try await prompts(session, campaign)
            #expect(listed.count == 4)
            #expect(listed.map { $0["state"] as? String } == Array(repeating: "enabled", count: 4))
            let recorded = try #require(listed.first { $0["takes"] as? Int == 1 })
            #expect(recorded["accepted"] as? Int == 1 && recorded["speakers"] as? Int == 1)
            let offensive = try #require(listed.first { $0["reported"] as? Int == 1 })
            #expect(offensive["takes"] as? Int == 0 && offensive["skipped"] as? Int == 0)
            let page = try await session.request(.get, "/v1/campaigns/\(campaign)/prompts?limit=3", token: session.adminToken)
            #expect((page["prompts"] as? [Any])?.count == 3 && page["next_after"] as? Int == listed[2]["id"] as? Int)
            for bad in ["?limit=0", "?limit=5001", "?limit=deux", "?after=-1"] {
                let refused = try await session.request(.get, "/v1/campaigns/\(campaign)/prompts\(bad)", token: session.adminToken)
                #expect(refused.status == 400 && refused.errorCode == "invalid_query", "\(bad)")
            }
            #expect(try await session.request(.get, "/v1/campaigns/\(campaign)/prompts", token: worker.token).status == 403)

            // The offensive prompt is disabled: nobody new is given it; then deleted, since nobody recorded it.
            let offensiveID = try #require(offensive["id"] as? Int)
            let disabled = try await session.json(.post, "/v1/campaigns/\(campaign)/prompts/\(offensiveID)/state", token: session.adminToken,
                                                  ["state": "disabled"])
            #expect(disabled.status == 200 && disabled["state"] as? String == "disabled" && disabled["disabled_at"] is String)
            let third = try await session.addWorker()
            var given: [String] = []
            for _ in 0..<2 {
                let answer = try await session.assignment(campaign: campaign, token: third.token)
                let text = try #require((answer["prompt"] as? [String: Any])?["text"] as? String)
                given.append(text)
                let skip = try await session.json(.post, "/v1/assignments/\(try #require(answer["assignment_id"] as? String))/skip",
                                                  token: third.token, ["reason": "skip"])
                #expect(skip.status == 200)
            }
            #expect(!given.contains(offensive["text"] as? String ?? ""))
            #expect(try await session.request(.delete, "/v1/campaigns/\(campaign)/prompts/\(offensiveID)", token: session.adminToken).status == 204)
            #expect(try await session.request(.delete, "/v1/campaigns/\(campaign)/prompts/\(offensiveID)", token: session.adminToken).status == 404)

            let recordedID = try #require(recorded["id"] as? Int)
            let inUse = try await session.request(.delete, "/v1/campaigns/\(campaign)/prompts/\(recordedID)", token: session.adminToken)
            #expect(inUse.status == 409 && inUse.errorCode == "prompt_in_use")
            #expect(((inUse["error"] as? [String: Any])?["message"] as? String)?.contains("disable it instead") == true)
            #expect(try await prompts(session, campaign).count == 3)
            let report = try await session.report(campaign)
            #expect(report.totals.prompts == 3)
            let unknown = try await session.json(.post, "/v1/campaigns/\(campaign)/prompts/999999/state", token: session.adminToken,
                                                 ["state": "disabled"])
            #expect(unknown.status == 404)
            let wrongState = try await session.json(.post, "/v1/campaigns/\(campaign)/prompts/\(recordedID)/state", token: session.adminToken,
                                                    ["state": "off"])
            #expect(wrongState.status == 400)
        }
    }

    @Test func membersAreListedDisabledEnabledAndGivenANewToken() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Self.prompts)
            let worker = try await session.addWorker(accent: "belge", region: "belgique")
            #expect(try await session.record("clean_fr-fr_0.wav", campaign: campaign, token: worker.token).status == 201)
            let verifier = try await session.addMember(role: "verifier")

            let listed = try await session.request(.get, "/v1/members?role=worker", token: session.adminToken)
            let workers = try #require(listed["members"] as? [[String: Any]])
            #expect(workers.count == 1 && workers[0]["id"] as? String == worker.id && workers[0]["state"] as? String == "active")
            #expect((workers[0]["profile"] as? [String: Any])?["accent"] as? String == "belge")
            #expect(workers[0]["takes"] as? Int == 1 && workers[0]["accepted"] as? Int == 1 && workers[0]["earnings_cents"] as? Int == 15)
            #expect(!String(decoding: listed.body, as: UTF8.self).contains(worker.token), "a token is never listed")
            let everyone = try await session.request(.get, "/v1/members", token: session.adminToken)
            #expect((everyone["members"] as? [[String: Any]])?.count == 3, "the admin, the worker and the verifier")
            #expect(try await session.request(.get, "/v1/members?role=chef", token: session.adminToken).status == 400)

            // Disabled: the token opens nothing, in French for the worker, until enabled again.
            let disable = try await session.json(.post, "/v1/members/\(worker.id)/state", token: session.adminToken, ["state": "disabled"])
            #expect(disable.status == 200 && disable["state"] as? String == "disabled")
            let refused = try await session.request(.get, "/v1/me", token: worker.token)
            #expect(refused.status == 403 && refused.errorCode == "member_disabled")
            #expect(((refused["error"] as? [String: Any])?["message_fr"] as? String)?.contains("suspendu") == true)
            let signIn = try await session.json(.post, "/v1/session", token: nil, ["token": worker.token])
            #expect(signIn.status == 403 && signIn.errorCode == "member_disabled")
            // Routes open to anyone still answer: the pages' session check, signing out, health.
            #expect(try await session.request(.get, "/v1/session", token: worker.token).status == 200)
            #expect(try await session.request(.delete, "/v1/session", token: worker.token).status == 204)
            #expect(try await session.request(.get, "/healthz", token: worker.token).status == 200)
            // A disabled verifier reads why on the verification routes too, not that they are no verifier.
            let disabledVerifier = try await session.addMember(role: "verifier")
            #expect(try await session.json(.post, "/v1/members/\(disabledVerifier.id)/state", token: session.adminToken, ["state": "disabled"]).status == 200)
            let claim = try await session.request(.post, "/v1/verification/claim", token: disabledVerifier.token)
            #expect(claim.status == 403 && claim.errorCode == "member_disabled")
            #expect(((claim["error"] as? [String: Any])?["message_fr"] as? String)?.contains("suspendu") == true)
            #expect(try await session.json(.post, "/v1/members/\(worker.id)/state", token: session.adminToken, ["state": "active"]).status == 200)
            #expect(try await session.request(.get, "/v1/me", token: worker.token).status == 200)

            // A new token: the old one no longer opens anything.
            let rotated = try await session.request(.post, "/v1/members/\(verifier.id)/token", token: session.adminToken)
            let token = try #require(rotated["token"] as? String)
            #expect(token != verifier.token)
            #expect(try await session.request(.post, "/v1/verification/claim", token: verifier.token).status == 401)
            #expect([200, 204].contains(try await session.request(.post, "/v1/verification/claim", token: token).status))

            let me = try await session.request(.get, "/v1/me", token: session.adminToken)
            let adminID = try #require(me["id"] as? String)
            let selfDisable = try await session.json(.post, "/v1/members/\(adminID)/state", token: session.adminToken, ["state": "disabled"])
            #expect(selfDisable.status == 409 && selfDisable.errorCode == "cannot_disable_self")
            #expect(try await session.request(.post, "/v1/members/w-unknown/token", token: session.adminToken).status == 404)
            #expect(try await session.json(.post, "/v1/members/w-unknown/state", token: session.adminToken, ["state": "disabled"]).status == 404)
            #expect(try await session.request(.post, "/v1/members/\(worker.id)/token", token: worker.token).status == 403)
        }
    }

    @Test func aWorkersProfileIsCheckedAgainstTheCampaignsValues() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let name = "accents-\(UUID().uuidString.prefix(6))"
            _ = try await session.smallCampaign(name: name, prompts: Self.prompts, extra: """
                dimensions:
                  accent:
                    values: [parisien, belge, quebecois]
                """)
            func add(_ accent: String, campaign: String?) async throws -> Answer {
                var body: [String: Any] = ["role": "worker", "profile": ["accent": accent]]
                if let campaign { body["campaign"] = campaign }
                return try await session.json(.post, "/v1/members", token: session.adminToken, body)
            }
            let refused = try await add("marseillais", campaign: name)
            #expect(refused.status == 400 && refused.errorCode == "invalid_profile")
            let message = (refused["error"] as? [String: Any])?["message"] as? String ?? ""
            #expect(message.contains("parisien, belge, quebecois"), "\(message)")
            // Added to the campaign by name: the worker belongs to it, so the app records for it.
            let added = try await add("belge", campaign: name)
            #expect(added.status == 201)
            let campaignID = try #require(added["campaign_id"] as? String)
            let me = try await session.request(.get, "/v1/me", token: try #require(added["token"] as? String))
            #expect(me["campaign_id"] as? String == campaignID)
            // Without a campaign, a value no open campaign counts is refused too.
            #expect(try await add("marseillais", campaign: nil).status == 400)
            let unattached = try await add("quebecois", campaign: nil)
            #expect(unattached.status == 201 && unattached["campaign_id"] == nil)
            #expect(try await add("belge", campaign: "nulle-part").status == 404)
            // Verifiers and admins have no quota profile to check.
            #expect(try await session.json(.post, "/v1/members", token: session.adminToken,
                                           ["role": "verifier", "profile": ["accent": "marseillais"]]).status == 201)
        }
    }

    @Test func invitesAreListedAndRevokedAndARevokedLinkLetsNobodyIn() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Self.prompts)
            let made = try await session.json(.post, "/v1/campaigns/\(campaign)/invites", token: session.adminToken, ["uses": 5])
            #expect(made.status == 201 && made["state"] as? String == "open" && made["code"] is String)
            let id = try #require(made["id"] as? String), code = try #require(made["code"] as? String)
            let profile: [String: Any] = ["region": "belgique", "gender": "female", "age_band": "25-34"]
            #expect(try await session.json(.post, "/v1/invites/\(code)/join", token: nil, ["consent": true, "profile": profile]).status == 201)

            let listed = try await session.request(.get, "/v1/campaigns/\(campaign)/invites", token: session.adminToken)
            let invites = try #require(listed["invites"] as? [[String: Any]])
            #expect(invites.count == 1 && invites[0]["id"] as? String == id && invites[0]["used"] as? Int == 1 && invites[0]["uses"] as? Int == 5)
            #expect(invites[0]["state"] as? String == "open" && invites[0]["code"] == nil, "a code is never shown again")

            let revoked = try await session.request(.delete, "/v1/campaigns/\(campaign)/invites/\(id)", token: session.adminToken)
            #expect(revoked.status == 200 && revoked["state"] as? String == "expired" && revoked["used"] as? Int == 1)
            let terms = try await session.request(.get, "/v1/invites/\(code)", token: nil)
            #expect(terms.status == 410 && terms.errorCode == "invite_expired")
            #expect(((terms["error"] as? [String: Any])?["message_fr"] as? String)?.isEmpty == false)
            let late = try await session.json(.post, "/v1/invites/\(code)/join", token: nil, ["consent": true, "profile": profile])
            #expect(late.status == 410)
            let after = try await session.request(.get, "/v1/campaigns/\(campaign)/invites", token: session.adminToken)
            #expect((after["invites"] as? [[String: Any]])?.first?["state"] as? String == "expired")
            #expect(try await session.request(.delete, "/v1/campaigns/\(campaign)/invites/inv-unknown", token: session.adminToken).status == 404)
            let worker = try await session.addWorker()
            #expect(try await session.request(.get, "/v1/campaigns/\(campaign)/invites", token: worker.token).status == 403)
        }
    }
}
