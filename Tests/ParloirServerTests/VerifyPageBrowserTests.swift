import Foundation
import HTTPTypes
import ParloirTestServers
import Testing

/// The verification page in real headless Chromium against a service started for the test: a
/// verifier signs in with a token (kept only in the HttpOnly cookie; asked again when a claim
/// finds the session gone, and the claim then goes ahead), claims a take, sees the
/// prompt against the ASR text and the waveform, seeks in it, corrects the transcript with the
/// keyboard and sends it; the service stores the correction. Skipping gives the take back, and
/// so does leaving the page (a beacon). Skipped without a chromedriver (`scripts/lib/chromium.sh`).
@Suite(.enabled(if: Browser.isAvailable, "PARLOIR_TEST_CHROMEDRIVER is not set: source scripts/lib/chromium.sh and run ensure_chromium"))
struct VerifyPageBrowserTests {
    static let prompts = CollectionTests.prompts
    static let enter = "\u{E007}"

    @Test(.timeLimit(.minutes(2)))
    func aVerifierCorrectsATakeWithTheKeyboardAndGivesTheOthersBack() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Self.prompts, speakers: 3)
            let worker = try await session.addWorker()
            let verifier = try await session.addMember(role: "verifier")
            let other = try await session.addMember(role: "verifier")
            let take = try await session.record("clean_fr-fr_0.wav", campaign: campaign, token: worker.token)
            let recording = try #require(take["recording_id"] as? String)
            let transcript = try await session.json(.post, "/v1/recordings/\(recording)/asr", token: session.adminToken,
                                                    ["engine": "e", "text": "allume la lampe de la cuisine"])
            #expect(transcript.status == 201)

            let browser = try await Browser.start()
            do {
                let base = "http://127.0.0.1:\(session.port)"
                try await Self.signInAndCorrect(browser, base: base, verifier: verifier.token, take: take)
                let shown = try await session.request(.get, "/v1/recordings/\(recording)", token: session.adminToken)
                if shown["outcome"] as? String == "validated" {
                    #expect(shown["final_transcript"] as? String == "Allume la lumière de la cuisine, s'il te plaît.")
                }
                try await Self.skipAndLeave(browser, base: base, session: session, campaign: campaign, worker: worker.token, other: other.token)
                let problems = try await browser.consoleLog().filter {
                    ($0.level == "SEVERE" && !$0.message.contains("401")) || $0.message.contains("Content Security Policy")
                }
                #expect(problems.isEmpty, "\(problems)")
            } catch {
                await browser.quit()
                throw error
            }
            await browser.quit()
        }
    }

    static func signInAndCorrect(_ browser: Browser, base: String, verifier: String, take: Answer) async throws {
        try await browser.open(base + "/verify")
        try await browser.waitFor("[data-testid=status]", text: "Service disponible")
        // Without a session the page asks for the token at once.
        try await browser.waitFor("[data-testid=sign-in-panel]:not([hidden])")
        #expect(try await browser.find("[data-testid=token]").attribute("type") == "password")
        try await browser.find("[data-testid=token]").sendKeys("plr_not-a-token")
        try await browser.find("[data-testid=sign-in]").click()
        try await browser.waitFor("[data-testid=sign-in-message]", text: "Ce jeton n'est pas reconnu. Vérifiez qu'il est complet, sans espace.")
        try await browser.find("[data-testid=token]").sendKeys(verifier + enter)
        try await browser.waitFor("[data-testid=queue]:not([hidden]) [data-testid=claim]")
        // The token is in no script's reach: not in the page, not in document.cookie (HttpOnly).
        #expect(try await browser.execute("return document.documentElement.outerHTML.includes(arguments[0])", [verifier]) as? Bool == false)
        #expect(try await browser.execute("return document.cookie") as? String == "")
        #expect(try await browser.find("[data-testid=sign-out]").property("hidden") as? Bool == false)

        // A session that ends meanwhile: the claim asks for the token again, then goes ahead.
        try await browser.executeAsync("fetch('/v1/session', { method: 'DELETE' }).then(() => arguments[arguments.length - 1]())")
        try await browser.find("[data-testid=claim]").click()
        let asked = try await browser.waitFor("[data-testid=sign-in-panel]:not([hidden]) [data-testid=sign-in-message]")
        #expect(try await asked.text().contains("jeton de vérificateur"))
        try await browser.find("[data-testid=token]").sendKeys(verifier)
        try await browser.find("[data-testid=sign-in]").click()

        // Signed in, the claim goes ahead: the take, its prompt against the ASR text, its lease.
        try await browser.waitFor("[data-testid=task]:not([hidden])")
        #expect(try await browser.find("[data-testid=prompt]").text() == prompts[0])
        let diff = try await browser.execute("""
            const diff = document.querySelector("[data-testid=diff]");
            const words = (selector) => [...diff.querySelectorAll(selector)].map((e) => e.lastChild.textContent);
            return { del: words("del"), ins: words("ins"), spoken: diff.textContent };
            """) as? [String: Any]
        #expect(diff?["del"] as? [String] == ["lumière"])
        #expect(diff?["ins"] as? [String] == ["lampe"])
        #expect((diff?["spoken"] as? String)?.contains("remplacé") == false)
        #expect((diff?["spoken"] as? String)?.contains("mot ajouté par la transcription") == true)
        #expect(try await browser.find("[data-testid=transcript]").property("value") as? String == "allume la lampe de la cuisine")
        try await browser.waitFor("[data-testid=normalized]", text: "allume la lampe de la cuisine")
        let lease = try await browser.find("[data-testid=lease]").text()
        #expect(lease.range(of: #"^Temps restant : (10:00|09:[45]\d)$"#, options: .regularExpression) != nil, "\(lease)")

        // The waveform is drawn from the peaks, and a click seeks the audio to that point.
        let drawn = try await browser.executeAsync("""
            const done = arguments[arguments.length - 1];
            const canvas = document.querySelector("[data-testid=waveform]");
            const audio = document.querySelector("[data-testid=audio]");
            const started = Date.now();
            (function check() {
              const note = document.querySelector("[data-testid=waveform-note]").textContent;
              const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
              let painted = 0;
              for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
              if ((note === "" && painted > canvas.width * 8 && audio.readyState >= 1) || Date.now() - started > 8000) {
                audio.pause();
                done({ note, painted, width: canvas.width, duration: audio.duration, max: canvas.getAttribute("aria-valuemax") });
              } else setTimeout(check, 100);
            })();
            """) as? [String: Any]
        let duration = try #require((take["metrics"] as? [String: Any])?["duration_s"] as? Double)
        #expect(drawn?["note"] as? String == "", "\(drawn ?? [:])")
        #expect(abs((drawn?["duration"] as? Double ?? 0) - duration) < 0.1, "\(drawn ?? [:])")
        try await browser.find("[data-testid=waveform]").click()
        let position = try await browser.execute("return document.querySelector('[data-testid=audio]').currentTime") as? Double ?? -1
        #expect(abs(position - duration / 2) < 0.25, "\(position) of \(duration)")

        // e goes to the transcript; the correction is typed, tagged and sent with Enter.
        try await browser.find("#task-title").sendKeys("e")
        #expect(try await browser.execute("return document.activeElement.dataset.testid") as? String == "transcript")
        let field = try await browser.find("[data-testid=transcript]")
        try await field.clear()
        try await field.sendKeys("Allume la lumière de la cuisine, s'il te plaît.")
        try await browser.waitFor("[data-testid=normalized]", text: "allume la lumière de la cuisine s' il te plaît")
        try await browser.find("[data-testid='tag-bruit']").click()
        try await field.sendKeys(enter)
        try await browser.waitFor("[data-testid=empty]", text: "Aucune prise à vérifier pour l'instant")
        let outcome = try await browser.find("[data-testid=outcome]").text()
        #expect(outcome.hasPrefix("Enregistré : transcription corrigée."), "\(outcome)")
    }

    /// `s` gives a take back and claims the next; leaving the page gives the held take back too.
    static func skipAndLeave(_ browser: Browser, base: String, session: Session, campaign: String, worker: String, other: String) async throws {
        for sample in ["clean_fr-fr_1.wav", "clean_fr-be_2.wav"] {
            let take = try await session.record(sample, campaign: campaign, token: worker)
            let recording = try #require(take["recording_id"] as? String)
            _ = try await session.json(.post, "/v1/recordings/\(recording)/asr", token: session.adminToken, ["engine": "e", "text": "bonjour"])
        }
        try await browser.find("[data-testid=claim]").click()
        try await browser.waitFor("[data-testid=task]:not([hidden])")
        let first = try await browser.find("[data-testid=prompt]").text()
        try await browser.find("#task-title").sendKeys("s")
        try await browser.waitFor("[data-testid=task]:not([hidden]) [data-testid=prompt]:not(:empty)")
        var second = try await browser.find("[data-testid=prompt]").text()
        for _ in 0..<50 where second == first {
            try await Task.sleep(for: .milliseconds(100))
            second = try await browser.find("[data-testid=prompt]").text()
        }
        #expect(second != first)
        let skipped = try await session.request(.post, "/v1/verification/claim", token: other)
        #expect(skipped.status == 200 && skipped["prompt_text"] as? String == first)

        // Leaving the page: the beacon gives the second take back.
        try await browser.open("about:blank")
        var back = try await session.request(.post, "/v1/verification/claim", token: other)
        for _ in 0..<50 where back.status == 204 {
            try await Task.sleep(for: .milliseconds(100))
            back = try await session.request(.post, "/v1/verification/claim", token: other)
        }
        #expect(back.status == 200 && back["prompt_text"] as? String == second)
    }
}
