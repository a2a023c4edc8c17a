import Foundation
import ParloirTestServers
import Testing

/// The pages in real headless Chromium (over WebDriver), on a service started for the test:
/// the module scripts run under the content security policy, and the page may use the microphone.
/// Skipped where the test command has not named a chromedriver (`scripts/lib/chromium.sh`).
@Suite(.enabled(if: Browser.isAvailable, "PARLOIR_TEST_CHROMEDRIVER is not set: source scripts/lib/chromium.sh and run ensure_chromium"))
struct BrowserTests {
    @Test(.timeLimit(.minutes(1)))
    func thePagesRunTheirScriptsUnderTheContentSecurityPolicyAndReachTheMicrophone() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        let microphone = TestService.samples.appendingPathComponent("clean_fr-fr_0.wav").path
        try await service.run { session in
            let browser = try await Browser.start(fakeAudioCapture: microphone)
            do {
                try await Self.check(browser, base: "http://127.0.0.1:\(session.port)")
            } catch {
                await browser.quit()
                throw error
            }
            await browser.quit()
        }
    }

    static func check(_ browser: Browser, base: String) async throws {
        // The status is written by app.js, a module that imports the message table: it ran.
        try await browser.open(base + "/verify")
        try await browser.waitFor("[data-testid=status]", text: "Service disponible")
        try await browser.open(base + "/")
        let status = try await browser.waitFor("[data-testid=status]", text: "Service disponible")
        #expect(try await status.attribute("data-state") == "up")
        #expect(try await browser.title() == "Parloir — enregistrer des phrases")

        // Nothing the pages load was refused or failed (a CSP refusal is a console error).
        let problems = try await browser.consoleLog().filter { $0.level == "SEVERE" || $0.message.contains("Content Security Policy") }
        #expect(problems.isEmpty, "\(problems)")

        // The policy is in force: an inline script is refused, and the page hears of it.
        let refusal = try await browser.executeAsync("""
            const done = arguments[arguments.length - 1];
            document.addEventListener("securitypolicyviolation", (event) => done({
                directive: event.effectiveDirective, ran: window.inlineScriptRan === true }), { once: true });
            const script = document.createElement("script");
            script.textContent = "window.inlineScriptRan = true";
            document.body.append(script);
            setTimeout(() => done({ directive: "none", ran: window.inlineScriptRan === true }), 2000);
            """) as? [String: Any]
        #expect(refusal?["directive"] as? String == "script-src-elem")
        #expect(refusal?["ran"] as? Bool == false)

        // Loopback is a secure context, so the page gets the (fake) microphone, raw: the fake
        // device plays the corpus file, so the signal is not silence.
        #expect(try await browser.execute("return window.isSecureContext") as? Bool == true)
        let capture = try await browser.executeAsync("""
            const done = arguments[arguments.length - 1];
            navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false } })
              .then((stream) => {
                const track = stream.getAudioTracks()[0];
                const context = new AudioContext();
                const analyser = context.createAnalyser();
                context.createMediaStreamSource(stream).connect(analyser);
                setTimeout(() => {
                  const samples = new Float32Array(analyser.fftSize);
                  analyser.getFloatTimeDomainData(samples);
                  const peak = samples.reduce((most, x) => Math.max(most, Math.abs(x)), 0);
                  const settings = track.getSettings();
                  const state = track.readyState;
                  track.stop();
                  context.close();
                  done({ state, echoCancellation: settings.echoCancellation,
                         noiseSuppression: settings.noiseSuppression, autoGainControl: settings.autoGainControl, peak });
                }, 600);
              })
              .catch((error) => done({ error: error.name + ": " + error.message }));
            """) as? [String: Any]
        #expect(capture?["error"] == nil, "\(capture ?? [:])")
        #expect(capture?["state"] as? String == "live")
        #expect(capture?["echoCancellation"] as? Bool == false)
        #expect(capture?["noiseSuppression"] as? Bool == false)
        #expect(capture?["autoGainControl"] as? Bool == false)
        #expect((capture?["peak"] as? Double ?? 0) > 0.01, "\(capture ?? [:])")

        let png = try await browser.screenshot()
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
    }
}
