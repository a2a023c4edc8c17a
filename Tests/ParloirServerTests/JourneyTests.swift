import Foundation
import HTTPTypes
import ParloirTestServers
import Testing

/// The worker app and the verifier page in real headless Chromium, over WebDriver, against a
/// real server: the microphone is Chromium's own audio capture, fed by a corpus file. Each
/// journey ends on what the server stored.
///
/// Chromium's fake microphone plays one file per browser launch, from its start each time the
/// page opens the microphone (the app opens it for each take and closes it after). A journey
/// that needs the worker to sound different (a clipped take, then a clean one) carries on in a
/// second browser holding the same session cookie, as a worker changing phones would.
@Suite(.serialized, .enabled(if: Browser.isAvailable, "PARLOIR_TEST_CHROMEDRIVER is not set: source scripts/lib/chromium.sh and run ensure_chromium"))
struct JourneyTests {
    /// Short commands like the corpus sentence the microphone says ("Allume la lumière de la
    /// cuisine."), so that the speaking-rate check finds every prompt plausible for it.
    static let prompts = [
        "Allume la lumière de la cuisine.", "Ferme les volets de la chambre.", "Baisse le son de la télévision.",
        "Ouvre la porte du garage.", "Éteins la lampe du bureau.",
    ]
    static let campaignSpec = """
        dimensions:
          accent:
            values: [parisien, belge, quebecois]
        """

    /// Where the journeys leave their screenshots: `PARLOIR_SCREENSHOTS` (the docs' pictures are
    /// made so, by scripts/screenshots.sh), or a temporary folder.
    static let screenshots: URL = {
        if let folder = ProcessInfo.processInfo.environment["PARLOIR_SCREENSHOTS"], !folder.isEmpty { return URL(fileURLWithPath: folder) }
        return FileManager.default.temporaryDirectory.appendingPathComponent("parloir-screenshots")
    }()

    /// A microphone file: `sample` from the corpus, amplified by `gain` dB (clipping it when
    /// loud enough), then `silence` seconds of silence, so that a take stopped a little late
    /// holds the whole sentence and nothing of the file playing again.
    static func microphone(_ sample: String = "clean_fr-fr_0.wav", gain: Double = 0, silence: Double = 4) throws -> String {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("parloir-mic-\(UUID().uuidString).wav").path
        let sox = Process()
        sox.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        sox.arguments = ["sox", TestService.samples.appendingPathComponent(sample).path, output, "gain", String(gain), "pad", "0", String(silence)]
        try sox.run()
        sox.waitUntilExit()
        guard sox.terminationStatus == 0 else { throw WebDriverError("sox", "sox could not make \(output)") }
        return output
    }

    /// A worker's browser on the service at `base`.
    struct Worker {
        let browser: Browser
        let base: String

        static func start(microphone: String, base: String, width: Int = 412, height: Int = 915) async throws -> Worker {
            let browser = try await Browser.start(fakeAudioCapture: microphone)
            do {
                try await browser.resize(width: width, height: height)
            } catch {
                await browser.quit()
                throw error
            }
            return Worker(browser: browser, base: base)
        }

        /// Opens the invite, consents, declares a profile, and waits for the first prompt.
        func join(_ path: String, accent: String = "belge") async throws {
            try await browser.open(base + path)
            try await browser.waitFor("[data-testid=consent]").click()
            try await browser.find("[data-testid=consent-submit]").click()
            try await browser.waitFor("[data-testid=profile-submit]")
            for (field, value) in [("accent", accent), ("region", "belgique"), ("gender", "female"), ("age_band", "25-34"), ("noise_condition", "quiet")] {
                try await browser.find("[data-testid=profile-\(field)] option[value='\(value)']").click()
            }
            #expect(try await unnamedControls().isEmpty, "the profile form's controls all have a name")
            try await browser.find("[data-testid=profile-submit]").click()
            _ = try await prompt()
        }

        /// The prompt on screen, once one is (and, with `other`, once it is not that one).
        func prompt(other: String? = nil) async throws -> String {
            let deadline = ContinuousClock.now + .seconds(15)
            while true {
                let text = (try? await browser.find("[data-testid=record]").property("disabled")) as? Bool == false
                    ? try await browser.find("[data-testid=prompt]").text() : ""
                if JourneyTests.prompts.contains(text), text != other { return text }
                guard ContinuousClock.now < deadline else { throw WebDriverError("timeout", "no prompt on screen (last: \"\(text)\")") }
                try await Task.sleep(for: .milliseconds(100))
            }
        }

        /// Records for `seconds` (started with the record button or the space bar), then waits for
        /// the verdict; its `data-verdict`. The page itself stops the take once `seconds` have passed
        /// since it started recording, so that a busy machine's slow WebDriver round trips do not
        /// lengthen the take (and its trailing silence).
        func record(seconds: Double = 3.2, withSpaceBar: Bool = false) async throws -> String {
            try await startAndStop(after: seconds, withSpaceBar: withSpaceBar)
            let verdict = try await browser.waitFor("[data-testid=verdict]", timeout: 40)
            return try await verdict.attribute("data-verdict") ?? ""
        }

        /// Starts a take, and has the page stop it `seconds` after it starts recording.
        func startAndStop(after seconds: Double, withSpaceBar: Bool = false) async throws {
            let button = try await browser.find("[data-testid=record]")
            if withSpaceBar { try await browser.press(" ") } else { try await button.click() }
            let stopped = try await browser.executeAsync("""
                const [seconds, done] = [arguments[0], arguments[arguments.length - 1]];
                const button = document.querySelector("[data-testid=record]");
                const started = performance.now();
                const wait = () => {
                  if (button.dataset.state === "recording") setTimeout(() => { button.click(); done(true); }, seconds * 1000);
                  else if (performance.now() - started > 10000) done(false);
                  else setTimeout(wait, 10);
                };
                wait();
                """, [seconds]) as? Bool
            guard stopped == true else { throw WebDriverError("timeout", "the record button never started recording") }
        }

        func waitForState(_ element: Browser.Element, _ state: String) async throws {
            let deadline = ContinuousClock.now + .seconds(10)
            while try await element.attribute("data-state") != state {
                guard ContinuousClock.now < deadline else { throw WebDriverError("timeout", "\(element.selector) never reached \(state)") }
                try await Task.sleep(for: .milliseconds(50))
            }
        }

        /// The session token the page holds in its HttpOnly cookie (read over WebDriver, which
        /// sees what scripts cannot), for the test to ask the API what the server stored.
        func token() async throws -> String {
            try await browser.open(base + "/v1/me")
            let cookie = try await browser.cookies().first { $0["name"] as? String == "parloir_session" }
            return try #require(cookie?["value"] as? String)
        }

        /// Gives this browser the session `token`, as the app's cookie.
        func adopt(_ token: String) async throws {
            try await browser.open(base + "/v1/me")
            try await browser.addCookie(["name": "parloir_session", "value": token, "path": "/v1", "httpOnly": true, "sameSite": "Strict"])
        }

        func screenshot(_ name: String) async throws {
            try FileManager.default.createDirectory(at: JourneyTests.screenshots, withIntermediateDirectories: true)
            try await browser.screenshot().write(to: JourneyTests.screenshots.appendingPathComponent(name))
        }

        /// Visible controls a screen reader could not name (no label, no aria-label, no text).
        func unnamedControls() async throws -> [String] {
            (try await browser.execute("""
                return [...document.querySelectorAll("input, select, textarea, button")]
                  .filter((control) => control.offsetParent !== null && control.type !== "hidden")
                  .filter((control) => !(control.labels?.length || control.getAttribute("aria-label")
                    || control.getAttribute("aria-labelledby") || control.textContent.trim()))
                  .map((control) => control.outerHTML.slice(0, 120));
                """) as? [String]) ?? []
        }

        /// Console errors and refusals of the content security policy the page met.
        func problems() async throws -> [String] {
            try await browser.consoleLog().filter { $0.level == "SEVERE" || $0.message.contains("Content Security Policy") }
                .map(\.message)
                // Refusals the page expects and shows in French (a 409 quota, a dropped network).
                .filter { !$0.contains("/v1/") }
        }
    }

    /// An invite to a new campaign of `prompts`; its path.
    static func invite(_ session: Session, campaign: String) async throws -> String {
        let made = try await session.json(.post, "/v1/campaigns/\(campaign)/invites", token: session.adminToken, ["uses": 10])
        return try #require(made["path"] as? String)
    }

    /// Runs `body` with a worker's browser, quitting it whatever happens.
    static func withWorker(microphone: String, base: String, _ body: (Worker) async throws -> Void) async throws {
        let worker = try await Worker.start(microphone: microphone, base: base)
        do {
            try await body(worker)
        } catch {
            try? await worker.screenshot("failure-\(UUID().uuidString.prefix(6)).png")
            await worker.browser.quit()
            throw error
        }
        await worker.browser.quit()
    }

    @Test(.timeLimit(.minutes(3)))
    func aWorkerJoinsRecordsACleanTakeIsPaidAndMovesOn() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        let microphone = try Self.microphone()
        defer { try? FileManager.default.removeItem(atPath: microphone) }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Self.prompts, extra: Self.campaignSpec)
            let path = try await Self.invite(session, campaign: campaign)
            try await Self.withWorker(microphone: microphone, base: "http://127.0.0.1:\(session.port)") { worker in
                try await worker.join(path)
                let prompt = try await worker.prompt()
                #expect(try await worker.unnamedControls().isEmpty, "the recording screen's controls all have a name")
                try await worker.screenshot("worker-recording.png")
                #expect(try await worker.record(withSpaceBar: true) == "accept")
                let pay = try await worker.browser.find("[data-testid=pay]").text()
                #expect(pay.contains("0,15"), "\(pay)")
                try await worker.screenshot("worker-accepted.png")
                try await worker.browser.find("[data-testid=next]").click()
                let next = try await worker.prompt(other: prompt)
                #expect(next != prompt)
                #expect(try await worker.problems().isEmpty)

                // What the server stored: one accepted take of the first prompt, a WAV, paid.
                let token = try await worker.token()
                let me = try await session.request(.get, "/v1/me", token: token)
                #expect(me["campaign_id"] as? String == campaign && me["earnings_cents"] as? Int == 15)
                #expect((me["profile"] as? [String: Any])?["accent"] as? String == "belge")
                let takes = try #require(try await session.request(.get, "/v1/me/recordings", token: token)["recordings"] as? [[String: Any]])
                #expect(takes.count == 1 && takes.first?["verdict"] as? String == "accept" && takes.first?["prompt_text"] as? String == prompt)
                let id = try #require(takes.first?["id"] as? String)
                let stored = try await session.request(.get, "/v1/recordings/\(id)", token: session.adminToken)
                #expect(stored["content_type"] as? String == "audio/wav" && stored["noise_condition"] as? String == "quiet")
                let metrics = try #require(stored["metrics"] as? [String: Any])
                #expect((metrics["sample_rate"] as? Double ?? 0) >= 16_000 && metrics["channels"] as? Int == 1)
                #expect((metrics["clipped_fraction"] as? Double ?? 1) < 0.0001)
            }
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func aWorkerTheTeamGaveATokenSignsInWithItAndAnOldOrAVerifiersTokenIsRefusedInFrench() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        let microphone = try Self.microphone()
        defer { try? FileManager.default.removeItem(atPath: microphone) }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Self.prompts, extra: Self.campaignSpec)
            // Joined through an invite on another device, then given a new token by the team
            // (the worker's old phone was lost, say: the browser app never shows a token).
            let path = try await Self.invite(session, campaign: campaign)
            let code = try #require(path.components(separatedBy: "invite=").last)
            let joined = try await session.json(.post, "/v1/invites/\(code)/join", token: nil, [
                "consent": true, "profile": ["accent": "belge", "region": "belgique", "gender": "female", "age_band": "25-34"],
            ])
            #expect(joined.status == 201)
            let added = (id: try #require(joined["member_id"] as? String), token: try #require(joined["token"] as? String))
            let rotated = try await session.request(.post, "/v1/members/\(added.id)/token", token: session.adminToken)
            let token = try #require(rotated["token"] as? String)
            let verifier = try await session.addMember(role: "verifier")
            try await Self.withWorker(microphone: microphone, base: "http://127.0.0.1:\(session.port)") { worker in
                let browser = worker.browser
                try await browser.open(worker.base + "/")
                func signIn(_ token: String) async throws {
                    try await browser.waitFor("[data-testid=token]").sendKeys(token)
                    try await browser.find("[data-testid=token-submit]").click()
                }
                try await signIn(added.token)
                _ = try await browser.waitFor("[data-testid=message]", text: "Ce jeton n'est pas reconnu. Vérifiez qu'il est complet, sans espace.")
                try await signIn(verifier.token)
                _ = try await browser.waitFor("[data-testid=message]", text: "Ce jeton n'est pas celui d'un contributeur. Les vérificateurs ont leur propre page : /verify.")
                try await worker.screenshot("worker-token.png")
                try await signIn(token)
                _ = try await worker.prompt()
                // A new device: where the worker records is asked again.
                try await browser.find("[data-testid=noise-condition] option[value='quiet']").click()
                #expect(try await worker.record() == "accept")
                #expect(try await worker.problems().isEmpty)
            }
            let me = try await session.request(.get, "/v1/me", token: token)
            #expect(me["id"] as? String == added.id && (me["takes"] as? [String: Any])?["accept"] as? Int == 1)
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func aClippedTakeIsRejectedWithItsFrenchHintThenACleanRetakeIsAccepted() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        let loud = try Self.microphone(gain: 12), clean = try Self.microphone()
        defer { for file in [loud, clean] { try? FileManager.default.removeItem(atPath: file) } }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Self.prompts, extra: Self.campaignSpec)
            let path = try await Self.invite(session, campaign: campaign)
            let base = "http://127.0.0.1:\(session.port)"
            var token = ""
            var prompt = ""
            try await Self.withWorker(microphone: loud, base: base) { worker in
                try await worker.join(path)
                prompt = try await worker.prompt()
                #expect(try await worker.record() == "reject")
                let hints = try await worker.browser.find("[data-testid=reasons]").text()
                #expect(hints.contains("fort") || hints.contains("sature") || hints.contains("saturé"), "\(hints)")
                try await worker.screenshot("worker-rejected.png")
                // The retake is on the same prompt.
                try await worker.browser.find("[data-testid=retake]").click()
                #expect(try await worker.prompt() == prompt)
                token = try await worker.token()
            }
            try await Self.withWorker(microphone: clean, base: base) { worker in
                try await worker.adopt(token)
                try await worker.browser.open(base + "/")
                // A new device does not know where the worker records: they say it again.
                try await worker.browser.waitFor("[data-testid=noise-condition] option[value='quiet']").click()
                #expect(try await worker.prompt() == prompt)
                #expect(try await worker.record() == "accept")
            }
            // One assignment, two takes: the first rejected for clipping, the second accepted and paid.
            let takes = try #require(try await session.request(.get, "/v1/me/recordings", token: token)["recordings"] as? [[String: Any]])
            #expect(takes.map { $0["verdict"] as? String } == ["accept", "reject"])
            #expect(takes.map { $0["take"] as? Int } == [2, 1])
            #expect(Set(takes.compactMap { $0["assignment_id"] as? String }).count == 1)
            #expect((takes[1]["reasons"] as? [[String: Any]])?.contains { $0["code"] as? String == "clipping" } == true)
            #expect(try await session.request(.get, "/v1/me", token: token)["earnings_cents"] as? Int == 15)
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func aWorkerSkipsAndReportsAppealsReplaysAndSeesTheirEarnings() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        let loud = try Self.microphone(gain: 12)
        defer { try? FileManager.default.removeItem(atPath: loud) }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Self.prompts, extra: Self.campaignSpec)
            let path = try await Self.invite(session, campaign: campaign)
            try await Self.withWorker(microphone: loud, base: "http://127.0.0.1:\(session.port)") { worker in
                try await worker.join(path)
                let reported = try await worker.prompt()
                try await worker.browser.find("[data-testid=skip]").click()
                try await worker.browser.waitFor("[data-testid=skip-reason-offensive]").click()
                let next = try await worker.prompt(other: reported)
                #expect(try await worker.record() == "reject")

                try await worker.browser.find("[data-testid=my-work]").click()
                let earnings = try await worker.browser.waitFor("[data-testid=earnings]")
                #expect(try await earnings.text().contains("0,00"))
                let take = try await worker.browser.waitFor("[data-testid=recording][data-verdict=reject]")
                // The worker hears their own take: the audio element loads it with the session cookie.
                let replay = try await worker.browser.executeAsync("""
                    const done = arguments[arguments.length - 1];
                    const audio = document.querySelector("[data-testid=replay]");
                    audio.addEventListener("loadedmetadata", () => done(audio.duration), { once: true });
                    audio.addEventListener("error", () => done(-1), { once: true });
                    audio.preload = "auto";
                    audio.load();
                    """) as? Double
                #expect((replay ?? 0) > 3, "the replayed take lasts \(replay ?? 0) s")
                try await worker.browser.find("[data-testid=appeal]").click()
                try await worker.browser.waitFor("[data-testid=appeal-comment]").sendKeys("Je parlais fort, mais on comprend chaque mot.")
                try await worker.browser.find("[data-testid=appeal-submit]").click()
                let state = try await worker.browser.waitFor("[data-testid=appeal-state]")
                #expect(try await state.text().contains("recours"))
                try await worker.screenshot("worker-my-work.png")
                _ = take

                // The server's side: the report counted, the appeal filed with its comment.
                let reports = try await session.request(.get, "/v1/campaigns/\(campaign)/prompt-reports", token: session.adminToken)
                let row = try #require((reports["prompts"] as? [[String: Any]])?.first)
                #expect(row["text"] as? String == reported && (row["counts"] as? [String: Int])?["offensive"] == 1)
                let token = try await worker.token()
                let takes = try #require(try await session.request(.get, "/v1/me/recordings", token: token)["recordings"] as? [[String: Any]])
                #expect(takes.count == 1 && takes.first?["prompt_text"] as? String == next)
                let appeal = try #require(takes.first?["appeal"] as? [String: Any])
                #expect(appeal["state"] as? String == "pending" && appeal["comment"] as? String == "Je parlais fort, mais on comprend chaque mot.")
            }
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func aVerifierCorrectsATranscriptWithTheKeyboardAndTheTakeIsValidated() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Self.prompts)
            let worker = try await session.addWorker()
            let take = try await session.record("clean_fr-fr_0.wav", campaign: campaign, token: worker.token)
            let recording = try #require(take["recording_id"] as? String)
            // The ASR engine heard one word wrong; a worker's first takes all go to people.
            let asr = try await session.json(.post, "/v1/recordings/\(recording)/asr", token: session.adminToken,
                                              ["engine": "whisper", "text": "allume la lumière de la cuisson"])
            #expect(asr.status == 201)
            let verifier = try await session.addMember(role: "verifier")
            let base = "http://127.0.0.1:\(session.port)"
            let browser = try await Browser.start()
            do {
                try await browser.resize(width: 1280, height: 900)
                try await browser.open(base + "/verify")
                try await browser.waitFor("[data-testid=token]").sendKeys(verifier.token)
                try await browser.find("[data-testid=sign-in]").click()
                try await browser.waitFor("[data-testid=claim]").click()
                let transcript = try await browser.waitFor("[data-testid=transcript]")
                #expect(try await transcript.property("value") as? String == "allume la lumière de la cuisson")
                #expect(try await browser.find("[data-testid=diff]").text().contains("cuisine"))
                _ = try await browser.waitFor("[data-testid=lease]")
                try await Task.sleep(for: .milliseconds(800))
                let worker = Worker(browser: browser, base: base)
                try await worker.screenshot("verifier.png")
                // e: edit; the verifier replaces the last word, then Ctrl+Enter submits the correction.
                try await browser.find("body").click()
                try await browser.press("e")
                try await browser.press("\u{E010}")
                for _ in 0..<"cuisson".count { try await browser.press("\u{E003}") }
                try await browser.press("cuisine")
                try await browser.press("\u{E007}", holding: "\u{E009}")
                try await browser.waitFor("[data-testid=outcome]", timeout: 15)
                #expect(try await worker.problems().isEmpty)
            } catch {
                await browser.quit()
                throw error
            }
            await browser.quit()
            // A share of takes is drawn for a second review; a second verifier agrees, over the API.
            let second = try await session.addMember(role: "verifier")
            while let task = try await session.request(.post, "/v1/verification/claim", token: second.token)["task_id"] as? String {
                let answer = try await session.json(.post, "/v1/verification/tasks/\(task)/result", token: second.token,
                                                    ["verdict": "corrected", "transcript": "allume la lumière de la cuisine"])
                #expect(answer.status == 200)
            }
            let stored = try await session.request(.get, "/v1/recordings/\(recording)", token: session.adminToken)
            #expect(stored["outcome"] as? String == "validated")
            #expect(stored["final_transcript"] as? String == "allume la lumière de la cuisine")
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func aTakeSentWhileTheServerIsDownIsStoredOnceWhenItComesBack() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        // The take lasts as long as the server takes to stop (the worker speaks meanwhile): a
        // long silent tail, which this campaign's rules let pass.
        let microphone = try Self.microphone(silence: 12)
        defer { try? FileManager.default.removeItem(atPath: microphone) }
        let path = try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Self.prompts, rules: "rules: {max_trailing_silence_s: 12}",
                                                           extra: Self.campaignSpec)
            return try await Self.invite(session, campaign: campaign)
        }
        let port = TestServers.freePort()
        try await Self.withWorker(microphone: microphone, base: "http://127.0.0.1:\(port)") { worker in
            // The worker joins and starts speaking; the server goes away while they speak.
            let started = try await service.serve(port: port) {
                try await worker.join(path)
                let button = try await worker.browser.find("[data-testid=record]")
                try await button.click()
                try await worker.waitForState(button, "recording")
                return ContinuousClock.now
            }
            try await Task.sleep(until: started + .milliseconds(3200))
            try await worker.browser.find("[data-testid=record]").click()
            // The take is sent, and sent again until the server comes back.
            let state = try await worker.browser.find("[data-testid=upload-state]")
            let deadline = ContinuousClock.now + .seconds(15)
            while !(try await state.text()).localizedCaseInsensitiveContains("essai") {
                guard ContinuousClock.now < deadline else { throw WebDriverError("timeout", "the app never said it was trying again") }
                try await Task.sleep(for: .milliseconds(100))
            }
            try await worker.screenshot("worker-retrying.png")
            try await service.serve(port: port) {
                let verdict = try await worker.browser.waitFor("[data-testid=verdict]", timeout: 40)
                #expect(try await verdict.attribute("data-verdict") == "accept")
                // What the server stored, read with the worker's own session: one take, paid once.
                try await worker.browser.open(worker.base + "/v1/me/recordings")
                let text = try #require(try await worker.browser.execute("return document.body.innerText") as? String)
                let takes = try #require((try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["recordings"] as? [[String: Any]])
                #expect(takes.count == 1, "one take stored, not \(takes.count)")
                #expect(takes.first?["verdict"] as? String == "accept" && takes.first?["pay_cents"] as? Int == 15)
            }
        }
    }
}
