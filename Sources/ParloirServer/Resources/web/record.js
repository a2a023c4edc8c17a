// The recording screen: a prompt to read, one button that starts and stops a take, the live
// level, quick checks, the upload (retried safely), the service's verdict, retakes, skipping or
// reporting a prompt, and the campaign's completion code once it is reached.
//
// The microphone is opened by the first press of "Enregistrer" and then kept open while the
// worker stays on this screen: the meter keeps showing their level between takes (they can
// check their distance and the room before pressing), and a take starts at once, with no
// permission or start-up delay that would cut its first syllable (a truncated start is a
// refusal). It is released when they leave the screen or the page is hidden (phone locked,
// other tab), so the browser's recording indicator is never on behind their back.
import { api, path } from "./api.js";
import { amountText, h, showScreen, uniqueId } from "./dom.js";
import { LevelMeter } from "./level-meter.js";
import { recording as messages, vocabularyLabel } from "./messages-fr.js";
import { Microphone } from "./microphone.js";
import * as remembered from "./remembered.js";
import { quickCheck } from "./take-checks.js";
import { newTake, sendTake } from "./upload.js";
import { encodeWav } from "./wav.js";

/** A take is stopped by itself past this: the longest campaign rule is far shorter. */
const longestTakeSeconds = 60;

const skipReasons = ["skip", "offensive", "unreadable", "not_french"];
/** Upload refusals after which this assignment takes no more takes. */
const assignmentOver = new Set(["assignment_finished", "assignment_expired", "not_your_assignment", "not_found"]);

/** Shows the screen for the worker `me` (GET /v1/me); answers an object whose leave() tears it down. */
export function showRecording(app, me) {
  const screen = new RecordingScreen(app, me);
  showScreen(app.root, screen.section);
  screen.loadAssignment({ focusPrompt: false });
  return screen;
}

class RecordingScreen {
  constructor(app, me) {
    this.app = app;
    this.me = me;
    this.assignment = null;
    this.result = null; // the last judged take on this assignment
    this.take = null; // the take being sent, kept until the service answered it
    this.phase = "loading";
    this.left = false;
    this.timer = null;
    this.meter = new LevelMeter();
    this.microphone = new Microphone({
      onBlock: (samples) => this.meter.push(samples),
      onEnded: () => this.microphoneLost(),
    });
    this.build();
    this.showCompletion(me.completion);
    this.onKey = (event) => this.key(event);
    this.onVisibility = () => {
      if (document.hidden) this.releaseMicrophone();
    };
    this.onBeforeUnload = (event) => {
      if (["recording", "sending", "failed"].includes(this.phase)) {
        event.preventDefault();
        event.returnValue = messages.leaveWhileSending;
      }
    };
    document.addEventListener("keydown", this.onKey);
    document.addEventListener("visibilitychange", this.onVisibility);
    window.addEventListener("beforeunload", this.onBeforeUnload);
  }

  build() {
    const titleID = uniqueId("record-title");
    const noiseID = uniqueId("noise");
    const skipMenuID = uniqueId("skip-menu");
    const skipLegendID = uniqueId("skip-legend");

    this.completion = h("div", { class: "completion", "data-testid": "completion", hidden: true });
    this.prompt = h("p", { class: "prompt", "data-testid": "prompt", tabindex: "-1", lang: "fr", text: messages.promptLoading });
    this.takesLeft = h("p", { class: "takes-left", "data-testid": "takes-left" });
    this.pieceRate = h("p", { class: "piece-rate" });
    this.recordButton = h("button", {
      type: "button",
      class: "record-button",
      "data-testid": "record",
      "data-state": "idle",
      disabled: true,
      text: messages.record,
      onclick: () => this.toggle(),
    });
    this.clock = h("p", { class: "clock", role: "timer", "aria-live": "off", hidden: true });
    this.uploadState = h("p", { class: "upload-state", "data-testid": "upload-state", role: "status", "aria-live": "polite" });
    // Always in the page, so that screen readers hear what is written into it; it becomes the
    // data-testid="verdict" element only while it holds a verdict.
    this.verdict = h("div", { class: "verdict", role: "status", "aria-live": "polite", "aria-atomic": "true", tabindex: "-1" });
    this.retakeButton = h("button", { type: "button", "data-testid": "retake", hidden: true, text: messages.retake, onclick: () => this.retake() });
    this.nextButton = h("button", { type: "button", "data-testid": "next", class: "primary", hidden: true, text: messages.next, onclick: () => this.next() });
    this.resendButton = h("button", { type: "button", "data-testid": "resend", class: "primary", hidden: true, text: messages.resend, onclick: () => this.resend() });
    this.reloadButton = h("button", { type: "button", "data-testid": "reload-prompt", hidden: true, text: messages.retry, onclick: () => this.loadAssignment({ focusPrompt: true }) });
    this.message = h("p", { class: "message", "data-testid": "message", role: "status", "aria-live": "polite" });

    const vocabulary = remembered.noiseVocabulary();
    this.noiseSelect = h(
      "select",
      { id: noiseID, "data-testid": "noise-condition", onchange: () => this.noiseChanged() },
      h("option", { value: "", text: messages.choose }),
      vocabulary.map((slug) => h("option", { value: slug, text: vocabularyLabel("noise_condition", slug) })),
    );
    this.noiseSelect.value = remembered.noiseCondition() ?? "";

    this.skipButton = h("button", {
      type: "button",
      class: "link-button",
      "data-testid": "skip",
      "aria-expanded": "false",
      "aria-controls": skipMenuID,
      text: messages.skip,
      onclick: () => this.toggleSkipMenu(),
    });
    const reasonButton = (reason) =>
      h("button", {
        type: "button",
        "data-testid": `skip-reason-${reason}`,
        "data-reason": reason,
        text: messages.skipReasons[reason],
        onclick: () => this.skip(reason),
      });
    this.skipMenu = h(
      "div",
      {
        class: "skip-menu",
        id: skipMenuID,
        role: "group",
        "aria-labelledby": skipLegendID,
        hidden: true,
        onkeydown: (event) => {
          if (event.key === "Escape") this.closeSkipMenu(true);
        },
      },
      h("p", { id: skipLegendID, class: "skip-legend", text: messages.skipLegend }),
      h("div", { class: "skip-choices" }, reasonButton("skip")),
      h("p", { class: "skip-report-label", text: messages.skipReportLabel }),
      h("div", { class: "skip-choices" }, skipReasons.filter((reason) => reason !== "skip").map(reasonButton)),
      h("button", { type: "button", class: "link-button", text: messages.skipCancel, onclick: () => this.closeSkipMenu(true) }),
    );
    this.purpose = h("p", { class: "purpose-text" });

    this.section = h(
      "section",
      { class: "screen record-screen", "aria-labelledby": titleID, "data-screen": "record" },
      h("h2", { id: titleID, text: messages.recordTitle }),
      this.completion,
      h("div", { class: "prompt-card" }, h("p", { class: "visually-hidden", text: messages.promptLabel }), this.prompt, this.takesLeft),
      h("p", { class: "instructions", text: messages.instructions }),
      h("div", { class: "record-controls" }, this.recordButton, this.clock),
      this.meter.element,
      this.uploadState,
      this.verdict,
      this.message,
      h("div", { class: "actions" }, this.resendButton, this.retakeButton, this.nextButton, this.reloadButton),
      h("div", { class: "field noise-field" }, h("label", { for: noiseID, text: messages.noiseLabel }), this.noiseSelect),
      h("div", { class: "skip" }, this.skipButton, this.skipMenu),
      h("details", { class: "purpose" }, h("summary", { text: messages.recordPurpose }), this.purpose, this.pieceRate),
    );
    this.setPhase("loading");
  }

  leave() {
    this.left = true;
    this.stopClock();
    this.releaseMicrophone();
    document.removeEventListener("keydown", this.onKey);
    document.removeEventListener("visibilitychange", this.onVisibility);
    window.removeEventListener("beforeunload", this.onBeforeUnload);
  }

  // ——— What is shown, by phase ———
  //
  // loading   asking for a prompt          blocked  no prompt (quota full, error): retry
  // idle      ready to record              opening  waiting for the microphone
  // recording a take is being captured     checking the take is being looked at
  // sending   upload under way (retried)   failed   upload gave up: resend the same take
  // verdict   the service judged the take  over     the assignment takes no more takes

  setPhase(phase) {
    this.phase = phase;
    const canRecord = ["idle", "opening", "recording", "checking"].includes(phase);
    this.recordButton.hidden = !(canRecord || phase === "loading" || phase === "sending");
    this.recordButton.disabled = !(phase === "idle" || phase === "recording");
    this.recordButton.dataset.state = phase === "recording" ? "recording" : "idle";
    this.recordButton.textContent = phase === "recording" ? messages.stop : phase === "opening" ? messages.opening : messages.record;
    this.clock.hidden = phase !== "recording";
    this.skipButton.hidden = phase !== "idle";
    if (phase !== "idle") this.closeSkipMenu(false);
    this.noiseSelect.disabled = ["recording", "checking", "sending"].includes(phase);
    const judged = phase === "verdict";
    this.retakeButton.hidden = !(judged && this.result?.verdict === "reject" && this.result.takes_left > 0);
    this.nextButton.hidden = !(judged || phase === "over");
    this.resendButton.hidden = phase !== "failed";
    this.reloadButton.hidden = phase !== "blocked";
    if (phase !== "sending") this.uploadState.textContent = "";
    this.section.dataset.phase = phase;
  }

  // ——— Prompts ———

  async loadAssignment({ focusPrompt }) {
    const wasBlocked = this.phase === "blocked";
    this.assignment = null;
    this.result = null;
    this.clearVerdict();
    this.prompt.textContent = messages.promptLoading;
    this.prompt.classList.add("pending");
    this.takesLeft.textContent = "";
    this.setPhase("loading");
    if (!this.me.campaign_id) {
      this.block(messages.notJoinedText);
      return;
    }
    try {
      const assignment = await api("POST", path`/v1/campaigns/${this.me.campaign_id}/assignments`, { headers: this.noiseHeader() });
      if (this.left) return;
      this.assignment = assignment;
      this.prompt.textContent = assignment.prompt?.text ?? "";
      this.prompt.classList.remove("pending");
      this.showTakesLeft(assignment.takes_left);
      this.purpose.textContent = assignment.purpose ?? "";
      this.pieceRate.replaceChildren(...(Number.isFinite(assignment.piece_rate_cents) ? amountText(messages.pieceRate, assignment.piece_rate_cents) : []));
      this.setPhase("idle");
      if (wasBlocked) this.say(""); // the refusal no longer holds
      if (focusPrompt) this.prompt.focus();
    } catch (error) {
      if (this.left) return;
      if (error.isUnauthorized) return this.app.notJoined();
      this.block(error.messageFr);
      if (focusPrompt) this.prompt.focus();
    }
  }

  /**
   * No prompt to record: the service's words in the message (a live region, so they are heard),
   * a placeholder in the prompt's place, and a way to ask again.
   */
  block(text) {
    this.say(text);
    this.prompt.textContent = messages.noPrompt;
    this.prompt.classList.add("pending");
    this.takesLeft.textContent = "";
    this.setPhase("blocked");
  }

  showTakesLeft(count) {
    this.takesLeft.textContent = Number.isFinite(count) ? messages.takesLeft(count) : "";
  }

  noiseHeader() {
    const condition = this.noiseSelect.value || remembered.noiseCondition();
    return condition ? { "X-Noise-Condition": condition } : {};
  }

  noiseChanged() {
    remembered.rememberNoiseCondition(this.noiseSelect.value);
    this.noiseSelect.removeAttribute("aria-invalid");
    // A cell that was full for the old condition may not be for the new one.
    if (this.phase === "blocked") this.loadAssignment({ focusPrompt: false });
  }

  // ——— Takes ———

  /** The record button and the space bar: start, or stop and send. */
  toggle() {
    if (this.phase === "idle") this.startTake();
    else if (this.phase === "recording") this.stopTake();
  }

  key(event) {
    if (event.key !== " " || event.repeat || event.ctrlKey || event.metaKey || event.altKey) return;
    // Controls act on the space bar themselves (the record button included: its click toggles),
    // and in a text field a space is a space.
    if (event.target instanceof Element && event.target.closest("input, textarea, select, button, a[href], summary, audio, [contenteditable]")) return;
    if (this.phase !== "idle" && this.phase !== "recording") return;
    event.preventDefault();
    this.toggle();
  }

  async startTake() {
    if (!this.noiseSelect.value) {
      this.say(messages.noiseMissing);
      this.noiseSelect.setAttribute("aria-invalid", "true");
      this.noiseSelect.focus();
      return;
    }
    this.say("");
    this.clearVerdict();
    if (!this.microphone.isOpen) {
      this.setPhase("opening");
      try {
        await this.microphone.open();
      } catch (error) {
        if (this.left) return;
        this.setPhase("idle");
        this.say(error.messageFr ?? messages.micFailed);
        return;
      }
      if (this.left) {
        this.microphone.close();
        return;
      }
      // The page was hidden while the browser asked for the microphone: not a take to start.
      if (document.hidden) {
        this.releaseMicrophone();
        this.setPhase("idle");
        return;
      }
    }
    this.microphone.begin();
    this.setPhase("recording");
    this.startClock();
  }

  async stopTake({ reason } = {}) {
    this.stopClock();
    this.setPhase("checking");
    const sampleRate = this.microphone.sampleRate;
    const samples = await this.microphone.end();
    if (this.left) return;
    const problem = quickCheck(samples, sampleRate);
    if (problem) {
      this.setPhase("idle");
      this.say({ too_short: messages.checkTooShort, silent: messages.checkSilent, too_loud: messages.checkTooLoud }[problem]);
      return;
    }
    if (reason) this.say(reason);
    this.take = newTake(encodeWav(samples, sampleRate), this.noiseSelect.value);
    await this.send();
  }

  startClock() {
    const started = performance.now();
    const tick = () => {
      const seconds = (performance.now() - started) / 1000;
      this.clock.textContent = messages.elapsed(seconds);
      if (seconds >= longestTakeSeconds && this.phase === "recording") this.stopTake({ reason: messages.maxReached });
    };
    tick();
    this.timer = setInterval(tick, 250);
  }

  stopClock() {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Sends `this.take` (again): the same bytes and key, however many times it takes. */
  async send() {
    const take = this.take;
    const assignment = this.assignment;
    this.setPhase("sending");
    try {
      const result = await sendTake(assignment.assignment_id, take, {
        onAttempt: () => {
          if (!this.left && this.uploadState.textContent === "") this.uploadState.textContent = messages.sending;
        },
        onWait: (ms) => {
          if (!this.left) this.countDown(ms);
        },
      });
      if (this.left || assignment !== this.assignment) return;
      this.take = null;
      this.showVerdict(result);
    } catch (error) {
      if (this.left || assignment !== this.assignment) return;
      this.stopCountDown();
      // A take the service could not decode is stored and judged all the same (422 with a verdict).
      if (error.status === 422 && error.body?.verdict) {
        this.take = null;
        this.showVerdict(error.body);
        return;
      }
      if (error.isUnauthorized) return this.app.notJoined();
      if (error.isTransient) {
        this.setPhase("failed");
        this.say(messages.gaveUp);
        this.resendButton.focus();
        return;
      }
      this.take = null;
      this.say([error.messageFr, error.hintFr].filter(Boolean).join(" "));
      if (assignmentOver.has(error.code)) {
        this.setPhase("over");
        this.nextButton.focus();
      } else {
        this.setPhase("idle");
        this.recordButton.focus();
      }
    }
  }

  resend() {
    this.say("");
    if (this.take) this.send();
  }

  /** "Connexion perdue, nouvel essai dans N s…", counting down to the next attempt. */
  countDown(ms) {
    this.stopCountDown();
    const until = Date.now() + ms;
    const tick = () => {
      const seconds = Math.ceil((until - Date.now()) / 1000);
      this.uploadState.textContent = seconds > 0 ? messages.reconnecting(seconds) : messages.reconnectingNow;
      if (seconds <= 0) this.stopCountDown();
    };
    tick();
    this.countdown = setInterval(tick, 1000);
  }

  stopCountDown() {
    if (this.countdown) clearInterval(this.countdown);
    this.countdown = null;
  }

  // ——— Verdicts ———

  showVerdict(result) {
    this.stopCountDown();
    this.result = result;
    const accepted = result.verdict === "accept";
    const reasons = [...(result.reasons ?? [])].sort((a, b) => (a.severity === "reject" ? 0 : 1) - (b.severity === "reject" ? 0 : 1));
    const hints = [...new Set(reasons.map((reason) => reason.hint_fr).filter(Boolean))];
    const content = [h("p", { class: "verdict-title", text: accepted ? messages.verdictAccepted : messages.verdictRejected })];
    if (accepted) {
      content.push(h("p", { class: "verdict-pay", "data-testid": "pay" }, ...amountText(messages.verdictPay, result.pay_cents)));
      if (hints.length > 0) content.push(h("p", { text: messages.verdictAdvice }), hintList(hints));
    } else {
      if (hints.length > 0) content.push(h("p", { text: messages.verdictWhy }), hintList(hints));
      content.push(h("p", { class: "verdict-takes", text: result.takes_left > 0 ? messages.takesLeft(result.takes_left) : messages.verdictNoRetake }));
    }
    this.verdict.replaceChildren(...content);
    this.verdict.dataset.testid = "verdict";
    this.verdict.dataset.verdict = accepted ? "accept" : "reject";
    // The verdict says how many takes are left; the line under the prompt would repeat it.
    this.takesLeft.textContent = "";
    this.setPhase("verdict");
    this.verdict.focus();
    if (accepted) this.refreshCompletion();
  }

  clearVerdict() {
    this.verdict.replaceChildren();
    delete this.verdict.dataset.testid;
    delete this.verdict.dataset.verdict;
  }

  retake() {
    this.clearVerdict();
    this.say("");
    this.setPhase("idle");
    this.recordButton.focus();
  }

  /**
   * A new prompt. The service hands back the worker's open assignment while it has one, so a
   * rejected prompt with takes left is first set aside (reason "skip"), or "next" would show it again.
   */
  async next() {
    const assignment = this.assignment;
    const stillOpen = this.result?.verdict === "reject" && this.result.takes_left > 0;
    this.say("");
    if (assignment && stillOpen) {
      this.setPhase("loading");
      try {
        await api("POST", path`/v1/assignments/${assignment.assignment_id}/skip`, { json: { reason: "skip" } });
      } catch (error) {
        if (this.left) return;
        if (error.isUnauthorized) return this.app.notJoined();
        if (!assignmentOver.has(error.code)) {
          this.setPhase("verdict");
          this.say(error.messageFr);
          return;
        }
      }
    }
    if (!this.left) this.loadAssignment({ focusPrompt: true });
  }

  // ——— Skipping and reporting ———

  toggleSkipMenu() {
    if (this.skipMenu.hidden) {
      this.skipMenu.hidden = false;
      this.skipButton.setAttribute("aria-expanded", "true");
      this.skipMenu.querySelector("button")?.focus();
    } else {
      this.closeSkipMenu(true);
    }
  }

  closeSkipMenu(focusButton) {
    if (this.skipMenu.hidden) return;
    this.skipMenu.hidden = true;
    this.skipButton.setAttribute("aria-expanded", "false");
    if (focusButton) this.skipButton.focus();
  }

  async skip(reason) {
    const assignment = this.assignment;
    if (!assignment) return;
    this.setPhase("loading");
    let said = messages.skipped;
    try {
      const answer = await api("POST", path`/v1/assignments/${assignment.assignment_id}/skip`, { json: { reason } });
      said = answer?.message_fr || said;
    } catch (error) {
      if (this.left) return;
      if (error.isUnauthorized) return this.app.notJoined();
      if (!assignmentOver.has(error.code)) {
        this.setPhase("idle");
        this.say(error.messageFr);
        this.skipButton.focus();
        return;
      }
      said = error.messageFr;
    }
    if (this.left) return;
    this.say(said);
    await this.loadAssignment({ focusPrompt: true });
  }

  // ——— Completion ———

  async refreshCompletion() {
    try {
      const me = await api("GET", "/v1/me");
      if (!this.left) this.showCompletion(me.completion);
    } catch {
      // Shown again on the next visit; the verdict is what matters now.
    }
  }

  showCompletion(completion) {
    if (!completion || !Number.isFinite(completion.after_accepted)) {
      this.completion.hidden = true;
      return;
    }
    const parts = [];
    if (completion.reached) {
      parts.push(h("p", { class: "completion-title", text: messages.completionReached }));
      if (completion.code) {
        parts.push(h("p", {}, messages.completionCode, " ", h("strong", { class: "completion-code", "data-testid": "completion-code", text: completion.code })));
      }
      if (completion.url) {
        parts.push(h("p", {}, h("a", { href: completion.url, "data-testid": "completion-link", rel: "noopener noreferrer", text: messages.completionLink })));
      }
      parts.push(h("p", { text: messages.completionMore }));
    } else {
      parts.push(h("p", { text: messages.completionProgress(completion.accepted ?? 0, completion.after_accepted) }));
    }
    this.completion.replaceChildren(...parts);
    this.completion.dataset.reached = completion.reached ? "true" : "false";
    this.completion.hidden = false;
  }

  // ——— Microphone ———

  releaseMicrophone() {
    if (this.phase === "recording") {
      this.stopClock();
      this.microphone.discard();
      this.setPhase("idle");
      this.say(messages.interrupted);
    }
    this.microphone.close();
    this.meter.reset();
  }

  microphoneLost() {
    if (this.left) return;
    if (this.phase === "recording") {
      this.stopClock();
      this.microphone.discard();
      this.setPhase("idle");
    }
    this.meter.reset();
    this.say(messages.micLost);
  }

  say(text) {
    this.message.textContent = text ?? "";
  }
}

function hintList(hints) {
  return h("ul", { class: "hints", "data-testid": "reasons" }, hints.map((hint) => h("li", { text: hint })));
}
