import Foundation
import HTTPTypes
import ParloirCore
import ParloirServer
import Testing

/// Joining from an invite, the browser session, skipping and reporting prompts and a worker's
/// own takes, over the real server, on whichever engines the test command chose.
struct EnrolmentTests {
    static let prompts = CollectionTests.prompts
    static let crowdCampaign = """
        dimensions:
          accent:
            values: [parisien, belge, quebecois]
        completion:
          after_accepted: 1
          code: C0MPLET
          url: https://app.prolific.com/submissions/complete?cc=C0MPLET
        """

    /// The headers a page of the service sends with its cookie.
    static func browser(_ cookie: String, port: Int, origin: String? = nil) -> [String: String] {
        ["Cookie": "theme=dark; \(cookie)", "Host": "127.0.0.1:\(port)", "Origin": origin ?? "http://127.0.0.1:\(port)"]
    }

    /// The `name=value` of a Set-Cookie header.
    static func cookiePair(_ answer: Answer) throws -> String {
        let header = try #require(answer.headers[.setCookie])
        return try #require(header.split(separator: ";").first.map(String.init))
    }

    @Test func aWorkerJoinsFromAnInviteAndWorksOnTheSessionCookie() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Self.prompts, extra: Self.crowdCampaign)
            let made = try await session.json(.post, "/v1/campaigns/\(campaign)/invites", token: session.adminToken,
                                              ["uses": 2, "participant_param": "PROLIFIC_PID"])
            #expect(made.status == 201)
            let code = try #require(made["code"] as? String)
            #expect(made["path"] as? String == "/#invite=\(code)")
            #expect(try await session.json(.post, "/v1/campaigns/\(campaign)/invites", token: session.adminToken,
                                           ["expires_at": "2001-01-01T00:00:00Z"]).errorCode == "invalid_invite")

            // What the worker reads before consenting: the campaign's terms, in French, and its values.
            let shown = try await session.request(.get, "/v1/invites/\(code)", token: nil)
            #expect(shown.status == 200)
            let terms = try #require(shown["terms"] as? [String: String])
            #expect(terms["erasure_fr"]?.contains("effacer") == true && terms["audience_fr"] != nil && terms["retention_fr"] != nil)
            #expect((shown["campaign"] as? [String: Any])?["piece_rate_eur"] as? String == "0,15 €")
            let vocabulary = try #require(shown["vocabulary"] as? [String: [String]])
            #expect(vocabulary["accent"] == ["parisien", "belge", "quebecois"])
            #expect(vocabulary["noise_condition"] == ["quiet", "indoor", "outdoor", "vehicle"])
            #expect(shown["participant_param"] as? String == "PROLIFIC_PID")
            #expect(try await session.request(.get, "/v1/invites/inv_0000", token: nil).errorCode == "invite_not_found")

            let profile: [String: Any] = ["accent": "belge", "region": "belgique", "gender": "female", "age_band": "25-34"]
            let noConsent = try await session.json(.post, "/v1/invites/\(code)/join", token: nil, ["consent": false, "profile": profile])
            #expect(noConsent.status == 400 && noConsent.errorCode == "consent_required")
            var offList = profile
            offList["accent"] = "marseillais"
            let refused = try await session.json(.post, "/v1/invites/\(code)/join", token: nil, ["consent": true, "profile": offList])
            #expect(refused.status == 400 && refused.errorCode == "invalid_profile")
            #expect(((refused["error"] as? [String: Any])?["message"] as? String)?.contains("parisien, belge, quebecois") == true)

            let joined = try await session.json(.post, "/v1/invites/\(code)/join", token: nil,
                                                ["consent": true, "profile": profile, "participant_id": "5f3a-participant-77"])
            #expect(joined.status == 201)
            #expect(joined["campaign_id"] as? String == campaign)
            let header = try #require(joined.headers[.setCookie])
            for attribute in ["HttpOnly", "SameSite=Strict", "Path=/v1", "Max-Age=7776000"] {
                #expect(header.contains(attribute), "Set-Cookie lacks \(attribute): \(header)")
            }
            #expect(!header.contains("Secure"), "plain HTTP on loopback: a Secure cookie would not be kept")
            let cookie = try Self.cookiePair(joined)
            #expect(cookie == "parloir_session=\(try #require(joined["token"] as? String))")
            // The same participant again is refused, and counts no use.
            let again = try await session.json(.post, "/v1/invites/\(code)/join", token: nil,
                                               ["consent": true, "profile": profile, "participant_id": "5f3a-participant-77"])
            #expect(again.status == 409 && again.errorCode == "already_joined")
            #expect(((again["error"] as? [String: Any])?["message_fr"] as? String)?.contains("déjà") == true)

            // The cookie alone is a session: the worker has consented, and works.
            let browser = Self.browser(cookie, port: session.port)
            let me = try await session.request(.get, "/v1/me", token: nil, headers: browser)
            #expect(me.status == 200 && me["campaign_id"] as? String == campaign)
            #expect((me["profile"] as? [String: Any])?["consent_at"] is String)
            #expect((me["completion"] as? [String: Any])?["reached"] as? Bool == false)
            #expect((me["completion"] as? [String: Any])?["code"] is NSNull)
            let assigned = try await session.request(.post, "/v1/campaigns/\(campaign)/assignments", token: nil, headers: browser)
            #expect(assigned.status == 201)
            // What changes something on the cookie must come from the service's own pages.
            let forged = try await session.request(.post, "/v1/campaigns/\(campaign)/assignments", token: nil,
                                                   headers: Self.browser(cookie, port: session.port, origin: "https://evil.example"))
            #expect(forged.status == 403 && forged.errorCode == "cross_origin_refused")
            var crossSite = browser
            crossSite["Origin"] = nil
            crossSite["Sec-Fetch-Site"] = "cross-site"
            #expect(try await session.request(.post, "/v1/campaigns/\(campaign)/assignments", token: nil, headers: crossSite).status == 403)

            let assignment = try #require(assigned["assignment_id"] as? String)
            var upload = browser
            upload["Content-Type"] = "audio/wav"
            let take = try await session.request(.put, "/v1/assignments/\(assignment)/recording", token: nil,
                                                 body: try TestService.sample("clean_fr-be_2.wav"), headers: upload)
            #expect(take.status == 201 && take["verdict"] as? String == "accept")
            // The crowd platform's completion code, once earned.
            let completion = try #require(try await session.request(.get, "/v1/me", token: nil, headers: browser)["completion"] as? [String: Any])
            #expect(completion["reached"] as? Bool == true && completion["code"] as? String == "C0MPLET")
            #expect((completion["url"] as? String)?.hasPrefix("https://app.prolific.com/") == true)

            // A second worker uses the invite up.
            #expect(try await session.json(.post, "/v1/invites/\(code)/join", token: nil, ["consent": true, "profile": profile]).status == 201)
            let usedUp = try await session.json(.post, "/v1/invites/\(code)/join", token: nil, ["consent": true, "profile": profile])
            #expect(usedUp.status == 410 && usedUp.errorCode == "invite_used_up")
            #expect(try await session.request(.get, "/v1/invites/\(code)", token: nil).status == 410)

            // Signing out clears the cookie.
            let out = try await session.request(.delete, "/v1/session", token: nil, headers: browser)
            #expect(out.status == 204 && out.headers[.setCookie]?.contains("Max-Age=0") == true)

            // The participant id is nowhere in the database, only its keyed hash.
            if service.isEmbedded {
                let files = try FileManager.default.contentsOfDirectory(atPath: service.directory).filter { $0.hasPrefix("parloir.sqlite") }
                #expect(!files.isEmpty)
                for file in files {
                    let bytes = try Data(contentsOf: URL(fileURLWithPath: service.directory + "/" + file))
                    #expect(bytes.range(of: Data("5f3a-participant-77".utf8)) == nil, "\(file) holds the participant id")
                }
            }
        }
    }

    @Test func aVerifierSignsInWithATokenAndTheSessionCookieCarriesTheirRole() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let verifier = try await session.addMember(role: "verifier")
            let refused = try await session.json(.post, "/v1/session", token: nil, ["token": "plr_wrong"])
            #expect(refused.status == 401 && refused.errorCode == "invalid_token")
            #expect(((refused["error"] as? [String: Any])?["message_fr"] as? String)?.isEmpty == false)
            let opened = try await session.json(.post, "/v1/session", token: nil, ["token": verifier.token])
            #expect(opened.status == 200 && opened["role"] as? String == "verifier")
            let cookie = try Self.cookiePair(opened)
            let claim = try await session.request(.post, "/v1/verification/claim", token: nil, headers: Self.browser(cookie, port: session.port))
            #expect(claim.status == 204, "nothing to verify yet, but the verifier is known")
            // A bearer token wins over the cookie.
            let worker = try await session.addWorker()
            let me = try await session.request(.get, "/v1/me", token: worker.token, headers: Self.browser(cookie, port: session.port))
            #expect(me["role"] as? String == "worker")
        }
    }

    @Test func aWorkerSkipsOrReportsAPromptAndTheAdminSeesTheReports() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Array(Self.prompts.prefix(3)), speakers: 1)
            let worker = try await session.addWorker(), other = try await session.addWorker()
            let first = try await session.assignment(campaign: campaign, token: worker.token)
            let assignment = try #require(first["assignment_id"] as? String)
            let prompt = try #require((first["prompt"] as? [String: Any])?["id"] as? Int)

            #expect(try await session.json(.post, "/v1/assignments/\(assignment)/skip", token: worker.token, ["reason": "boring"]).status == 400)
            let notTheirs = try await session.json(.post, "/v1/assignments/\(assignment)/skip", token: other.token, ["reason": "skip"])
            #expect(notTheirs.status == 403 && notTheirs.errorCode == "not_your_assignment")
            let reported = try await session.json(.post, "/v1/assignments/\(assignment)/skip", token: worker.token,
                                                  ["reason": "offensive", "comment": "propos blessants"])
            #expect(reported.status == 200 && reported["state"] as? String == "set_aside" && reported["prompt_id"] as? Int == prompt)
            #expect((reported["message_fr"] as? String)?.contains("signalement") == true)
            // Nothing more is recorded on it, and the worker moves on to another prompt.
            let late = try await session.upload(assignment, token: worker.token, audio: try TestService.sample("clean_fr-fr_0.wav"))
            #expect(late.status == 409 && late.errorCode == "assignment_finished")
            let next = try await session.assignment(campaign: campaign, token: worker.token)
            #expect((next["prompt"] as? [String: Any])?["id"] as? Int != prompt)
            let skipped = try await session.json(.post, "/v1/assignments/\(try #require(next["assignment_id"] as? String))/skip",
                                                 token: worker.token, ["reason": "skip"])
            #expect(skipped.status == 200)
            // The reported prompt's place went back: another worker is given it.
            #expect((try await session.assignment(campaign: campaign, token: other.token)["prompt"] as? [String: Any])?["id"] as? Int == prompt)

            let reports = try await session.request(.get, "/v1/campaigns/\(campaign)/prompt-reports", token: session.adminToken)
            let rows = try #require(reports["prompts"] as? [[String: Any]])
            #expect(rows.count == 2)
            #expect(rows.first?["prompt_id"] as? Int == prompt && rows.first?["reports"] as? Int == 1)
            #expect((rows.first?["counts"] as? [String: Int])?["offensive"] == 1)
            #expect((rows.last?["counts"] as? [String: Int])?["skip"] == 1 && rows.last?["reports"] as? Int == 0)
            #expect(try await session.request(.get, "/v1/campaigns/\(campaign)/prompt-reports", token: worker.token).status == 403)
        }
    }

    @Test func aWorkerListsAndReplaysTheirOwnTakesOnly() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Self.prompts)
            let worker = try await session.addWorker(), other = try await session.addWorker()
            let rejected = try await session.record("clipped_heavy.wav", campaign: campaign, token: worker.token)
            #expect(rejected["verdict"] as? String == "reject")
            let accepted = try await session.record("clean_fr-fr_0.wav", campaign: campaign, token: worker.token)
            #expect(accepted["verdict"] as? String == "accept")
            let appeal = try await session.json(.post, "/v1/recordings/\(try #require(rejected["recording_id"] as? String))/appeal",
                                                token: worker.token, ["comment": "je n'ai pas crié"])
            #expect(appeal.status == 201)

            let listed = try await session.request(.get, "/v1/me/recordings", token: worker.token)
            let takes = try #require(listed["recordings"] as? [[String: Any]])
            #expect(takes.map { $0["id"] as? String } == [accepted["recording_id"] as? String, rejected["recording_id"] as? String])
            #expect(takes[0]["pay_cents"] as? Int == 15 && takes[1]["pay_cents"] as? Int == 0)
            #expect((takes[0]["prompt_text"] as? String)?.isEmpty == false)
            let reasons = try #require(takes[1]["reasons"] as? [[String: Any]])
            #expect(reasons.contains { $0["code"] as? String == "clipping" && ($0["hint_fr"] as? String)?.isEmpty == false })
            #expect((takes[1]["appeal"] as? [String: Any])?["state"] as? String == "pending")
            #expect(((takes[1]["appeal"] as? [String: Any])?["message_fr"] as? String)?.contains("recours") == true)
            #expect(takes[0]["appeal"] is NSNull)

            let audioURL = try #require(takes[0]["audio_url"] as? String)
            let audio = try await session.request(.get, audioURL, token: worker.token)
            let sample = try TestService.sample("clean_fr-fr_0.wav")
            #expect(audio.status == 200 && audio.body == sample)
            #expect(try await session.request(.get, audioURL, token: other.token).status == 404)
            #expect(try await session.request(.get, "/v1/me/recordings", token: other.token)["recordings"] as? [Any] != nil)
            let verifier = try await session.addMember(role: "verifier")
            #expect(try await session.request(.get, "/v1/me/recordings", token: verifier.token).status == 403)
        }
    }

    @Test func aWorkerAddedWithoutConsentGivesItThenWithdrawsIt() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Self.prompts)
            let worker = try await session.addWorker(consent: false)
            #expect(try await session.assignment(campaign: campaign, token: worker.token).errorCode == "consent_required")
            let given = try await session.json(.post, "/v1/me/consent", token: worker.token, ["consent": true])
            #expect(given.status == 200 && given["consent_at"] is String && (given["message_fr"] as? String)?.contains("accord") == true)
            #expect(try await session.assignment(campaign: campaign, token: worker.token).status == 201)
            let withdrawn = try await session.json(.post, "/v1/me/consent", token: worker.token, ["consent": false])
            #expect(withdrawn.status == 200 && withdrawn["consent_at"] is NSNull)
            #expect((try await session.request(.get, "/v1/me", token: worker.token)["profile"] as? [String: Any])?["consent_at"] is NSNull)
            // No new assignment; the one under way was made while the worker consented, and stays theirs.
            let other = try await session.smallCampaign(prompts: Self.prompts)
            #expect(try await session.assignment(campaign: other, token: worker.token).errorCode == "consent_required")
            #expect(try await session.json(.post, "/v1/me/consent", token: worker.token, ["consent": "oui"]).status == 400)
            let verifier = try await session.addMember(role: "verifier")
            #expect(try await session.json(.post, "/v1/me/consent", token: verifier.token, ["consent": true]).status == 403)
        }
    }

    @Test func aPausedCampaignTurnsNewcomersAwayInFrenchAndAcceptsTakesUnderWay() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Self.prompts)
            let busy = try await session.addWorker(), newcomer = try await session.addWorker()
            let assignment = try await session.openAssignment(campaign: campaign, token: busy.token)
            let paused = try await session.json(.post, "/v1/campaigns/\(campaign)/state", token: session.adminToken, ["state": "paused"])
            #expect(paused.status == 200 && paused["state"] as? String == "paused")
            let listed = try #require(try await session.request(.get, "/v1/campaigns", token: session.adminToken)["campaigns"] as? [[String: Any]])
            #expect(listed.first { $0["id"] as? String == campaign }?["state"] as? String == "paused")
            let turnedAway = try await session.assignment(campaign: campaign, token: newcomer.token)
            #expect(turnedAway.status == 409 && turnedAway.errorCode == "campaign_paused")
            #expect(((turnedAway["error"] as? [String: Any])?["message_fr"] as? String)?.contains("pause") == true)
            // The take under way is accepted.
            let take = try await session.upload(assignment, token: busy.token, audio: try TestService.sample("clean_fr-fr_0.wav"))
            #expect(take.status == 201 && take["verdict"] as? String == "accept")
            #expect(try await session.json(.post, "/v1/campaigns/\(campaign)/state", token: session.adminToken, ["state": "open"]).status == 200)
            #expect(try await session.assignment(campaign: campaign, token: newcomer.token).status == 201)
            #expect(try await session.json(.post, "/v1/campaigns/\(campaign)/state", token: session.adminToken, ["state": "closed"]).status == 200)
            let reopened = try await session.json(.post, "/v1/campaigns/\(campaign)/state", token: session.adminToken, ["state": "open"])
            #expect(reopened.status == 409 && reopened.errorCode == "campaign_closed")
            #expect(try await session.assignment(campaign: campaign, token: busy.token).errorCode == "campaign_closed")
            #expect(try await session.json(.post, "/v1/campaigns/\(campaign)/state", token: session.adminToken, ["state": "asleep"]).status == 400)
            #expect(try await session.json(.post, "/v1/campaigns/\(campaign)/state", token: busy.token, ["state": "open"]).status == 403)
        }
    }
}
