// The verification page (`/verify`): sign in with a verifier's token, claim a take, listen to
// it over its waveform, compare the prompt with the ASR text, correct the transcript and judge
// it, with the terminal client's keys (a, e, u, p, s). A task held when the page goes away is
// given back with a beacon.
import { messages, otherReason, tags, unusableReasons } from "./verify-messages-fr.js";
import { showServiceStatus } from "./service.js";
import * as api from "./verify-api.js";
import { renderDiff } from "./verify-diff.js";
import { LeaseCountdown, minutesSeconds } from "./verify-lease.js";
import { Waveform, clock } from "./verify-waveform.js";

const $ = (id) => document.querySelector(`[data-testid="${id}"]`);
const ui = {
  status: $("status"),
  signOut: $("sign-out"),
  signInPanel: $("sign-in-panel"),
  signInMessage: $("sign-in-message"),
  signIn: $("sign-in-form"),
  token: $("token"),
  queue: $("queue"),
  claim: $("claim"),
  empty: $("empty"),
  messages: $("messages"),
  error: $("error"),
  task: $("task"),
  title: document.getElementById("task-title"),
  lease: $("lease"),
  kind: $("kind"),
  appeal: $("appeal-evidence"),
  appealReasons: $("appeal-reasons"),
  appealMetrics: $("appeal-metrics"),
  appealComment: $("appeal-comment"),
  play: $("play"),
  waveform: $("waveform"),
  time: $("time"),
  audio: $("audio"),
  waveformNote: $("waveform-note"),
  prompt: $("prompt"),
  diff: $("diff"),
  diffLegend: $("diff-legend"),
  transcript: $("transcript"),
  normalized: $("normalized"),
  tagList: document.querySelector(".tag-list"),
  reason: $("unusable-reason"),
  otherLabel: document.querySelector(".other-label"),
  other: $("unusable-other"),
  matches: $("verdict-matches"),
  corrected: $("submit-review"),
  unusable: $("verdict-unusable"),
  release: $("release"),
};

/** What the page holds: the claimed task while it is held and unanswered, and what it is doing. */
const state = {
  task: null,
  held: false,
  signedIn: false,
  claimAfterSignIn: false,
  busy: false,
  releasedOnExit: false,
  normalizeRound: 0,
  normalizeTimer: 0,
  outcomeTimer: 0,
};

const waveform = new Waveform(ui.waveform, ui.audio, messages.position);
const lease = new LeaseCountdown(
  (left) => {
    ui.lease.textContent = messages.leaseLeft(minutesSeconds(left));
    const short = left < 60_000;
    // The countdown itself is not read aloud every second; its last minute is announced once.
    if (short && ui.lease.dataset.state === "ok") say(messages.leaseShort);
    ui.lease.dataset.state = short ? "short" : "ok";
  },
  () => leaseRanOut(),
);

// --- What is shown -----------------------------------------------------------------------

// Only the current screen is in the document (the others wait outside it, each at its place):
// what assistive technology, find-in-page or a test finds on the page is what the verifier sees.
const screens = { "sign-in": ui.signInPanel, queue: ui.queue, task: ui.task };
const places = new Map();
for (const screen of Object.values(screens)) {
  const place = document.createComment(screen.dataset.testid);
  screen.before(place);
  places.set(screen, place);
  screen.remove();
  screen.hidden = false;
}

function show(section) {
  for (const [name, screen] of Object.entries(screens)) {
    if (name === section && !screen.isConnected) places.get(screen).after(screen);
    if (name !== section && screen.isConnected) screen.remove();
  }
  ui.signOut.hidden = !state.signedIn;
}

/**
 * Says `text` in the live region for a while: `outcome` for what became of an answer or a skip
 * (a test waits for it), `notice` for the rest. Nothing said leaves the region empty.
 */
function say(text, kind = "notice") {
  clearTimeout(state.outcomeTimer);
  if (!text) {
    ui.messages.replaceChildren();
    return;
  }
  const line = document.createElement("p");
  line.dataset.testid = kind;
  line.className = kind;
  line.textContent = text;
  ui.messages.replaceChildren(line);
  state.outcomeTimer = setTimeout(() => ui.messages.replaceChildren(), 6000);
}

function complain(text) {
  ui.error.textContent = text;
}

/** The French words for a failure: the service's own, or the page's. */
function wordsFor(error) {
  if (error instanceof api.ServiceError) return error.messageFr || messages.unexpected;
  if (error instanceof api.NetworkError) return messages.networkError;
  return messages.unexpected;
}

function setBusy(busy) {
  state.busy = busy;
  if (!busy) ui.task.removeAttribute("aria-busy");
  for (const button of [ui.matches, ui.corrected, ui.unusable, ui.release]) button.disabled = busy || !state.held;
  ui.claim.disabled = busy;
}

function buildChoices() {
  for (const [value, label] of tags) {
    const id = `tag-${value.replace(/[^a-zà-ÿ_]/g, "")}`;
    const row = document.createElement("div");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.id = id;
    box.value = value;
    box.dataset.testid = id;
    const text = document.createElement("label");
    text.htmlFor = id;
    text.textContent = label;
    row.append(box, text);
    ui.tagList.append(row);
  }
  for (const [value, label] of [...unusableReasons, otherReason]) {
    ui.reason.append(new Option(label, value));
  }
}

// --- Signing in --------------------------------------------------------------------------

function showSignIn(message) {
  endTask();
  state.signedIn = false;
  show("sign-in");
  ui.signInMessage.textContent = message;
  ui.token.value = "";
  ui.token.focus();
}

async function signIn(event) {
  event.preventDefault();
  const token = ui.token.value.trim();
  // The token goes to the service once, which answers with an HttpOnly cookie; the field is
  // emptied at once, so the page never keeps it.
  ui.token.value = "";
  complain("");
  if (!token) {
    complain(messages.tokenMissing);
    ui.token.focus();
    return;
  }
  ui.signInMessage.textContent = messages.signingIn;
  try {
    const member = await api.signIn(token);
    if (member?.role !== "verifier") {
      showSignIn(messages.notAVerifier);
      return;
    }
    state.signedIn = true;
    say(messages.signedIn);
    if (state.claimAfterSignIn) {
      // The claim that asked for the token goes ahead.
      state.claimAfterSignIn = false;
      await claimNext();
      return;
    }
    show("queue");
    ui.empty.hidden = true;
    ui.claim.focus();
  } catch (error) {
    showSignIn(wordsFor(error));
  }
}

async function signOut() {
  if (state.held) await api.release(state.task.task_id).catch(() => {});
  endTask();
  state.task = null;
  try {
    await api.signOut();
  } catch {
    // The cookie may already be gone; signing in again replaces it either way.
  }
  showSignIn(messages.signedOut);
}

// --- Claiming ----------------------------------------------------------------------------

async function claimNext() {
  if (state.busy) return;
  setBusy(true);
  complain("");
  ui.empty.hidden = true;
  let claimed;
  try {
    claimed = await api.claim();
  } catch (error) {
    setBusy(false);
    claimFailed(error);
    return;
  }
  setBusy(false);
  present(claimed);
}

function claimFailed(error) {
  if (error instanceof api.ServiceError && error.status === 401) {
    state.claimAfterSignIn = true;
    showSignIn(error.messageFr || messages.signInNeeded);
    return;
  }
  show("queue");
  complain(wordsFor(error));
}

/** Shows what a claim brought: a task, or the word that none waits. */
function present(claimed) {
  state.signedIn = true;
  if (!claimed) {
    show("queue");
    ui.empty.textContent = messages.nothingToVerify;
    ui.empty.hidden = false;
    ui.claim.focus();
    return;
  }
  showTask(claimed.task, claimed.serverNow);
}

function showTask(task, serverNow) {
  state.task = task;
  state.held = true;
  state.releasedOnExit = false;
  setBusy(false);
  show("task");
  ui.kind.textContent = messages.kinds[task.kind] ?? "";
  showAppealEvidence(task.appeal);
  ui.prompt.textContent = task.prompt_text;
  renderDiff(ui.diff, task.words, messages);
  ui.diffLegend.hidden = !Array.isArray(task.words);
  ui.transcript.value = task.asr_text ?? task.prompt_text;
  previewNormalized(0);
  for (const box of ui.tagList.querySelectorAll("input")) box.checked = false;
  ui.reason.value = "";
  showOtherReason();
  ui.lease.dataset.state = "ok";
  lease.start(task.lease_expires_at, serverNow);

  ui.audio.src = task.audio_url;
  ui.audio.load();
  updatePlayButton();
  loadPeaks(task);
  ui.title.focus();
  // As the terminal client does: the take plays at once (the claim was a click or a key).
  ui.audio.play().catch(() => {});
}

/**
 * For an appeal, what the automatic rejection found (each reason's message and the hint the
 * worker read, the measured figures) and the worker's comment, so that the take is judged on
 * them; hidden for every other task.
 */
function showAppealEvidence(appeal) {
  ui.appeal.hidden = !appeal;
  ui.appealReasons.replaceChildren();
  ui.appealMetrics.replaceChildren();
  ui.appealComment.textContent = "";
  if (!appeal) return;
  for (const reason of appeal.reasons ?? []) {
    const item = document.createElement("li");
    item.dataset.code = reason.code;
    const code = document.createElement("strong");
    code.textContent = reason.code;
    const hint = document.createElement("span");
    hint.lang = "fr";
    hint.textContent = reason.hint_fr;
    const message = document.createElement("span");
    message.className = "appeal-message";
    message.lang = "en";
    message.textContent = reason.message;
    item.append(code, " — ", hint, " ", message);
    ui.appealReasons.append(item);
  }
  if (!appeal.reasons?.length) {
    const item = document.createElement("li");
    item.textContent = messages.appealNoReason;
    ui.appealReasons.append(item);
  }
  for (const [name, [label, unit]] of Object.entries(messages.metrics)) {
    const value = appeal.metrics?.[name];
    if (typeof value !== "number") continue;
    const term = document.createElement("dt");
    term.textContent = label;
    const detail = document.createElement("dd");
    detail.dataset.metric = name;
    detail.textContent = `${value.toLocaleString("fr-FR", { maximumSignificantDigits: 4 })}${unit ? ` ${unit}` : ""}`;
    ui.appealMetrics.append(term, detail);
  }
  ui.appealComment.textContent = appeal.comment || messages.appealNoComment;
}

async function loadPeaks(task, attempt = 0) {
  waveform.show(null);
  ui.waveformNote.textContent = messages.waveformLoading;
  try {
    const peaks = await api.peaks(task.peaks_url, waveform.bucketsWanted());
    if (state.task !== task) return;
    waveform.show(peaks);
    ui.waveformNote.textContent = "";
  } catch (error) {
    if (state.task !== task) return;
    if (error instanceof api.ServiceError && error.status === 503 && attempt === 0) {
      setTimeout(() => loadPeaks(task, 1), (error.retryAfter ?? 2) * 1000);
      return;
    }
    ui.waveformNote.textContent = error instanceof api.ServiceError && error.messageFr ? error.messageFr : messages.waveformUnavailable;
  }
}

/** Forgets the task on the page (after an answer, a release or the end of its lease). */
function endTask() {
  lease.stop();
  state.held = false;
  ui.audio.pause();
  clearTimeout(state.normalizeTimer);
  setBusy(false);
}

function leaseRanOut() {
  endTask();
  state.task = null;
  show("queue");
  ui.empty.textContent = messages.leaseOver;
  ui.empty.hidden = false;
  ui.claim.focus();
}

// --- Listening ---------------------------------------------------------------------------

function togglePlay() {
  if (ui.audio.paused) ui.audio.play().catch(() => complain(messages.audioUnavailable));
  else ui.audio.pause();
}

function updatePlayButton() {
  const playing = !ui.audio.paused && !ui.audio.ended;
  // The button's name says what it does next (not a toggle state as well, which would say it twice).
  ui.play.textContent = playing ? messages.pause : messages.play;
  ui.time.textContent = `${clock(ui.audio.currentTime)} / ${clock(waveform.duration())}`;
}

// --- The transcript and its normalised form ----------------------------------------------

function previewNormalized(delay = 300) {
  clearTimeout(state.normalizeTimer);
  const round = ++state.normalizeRound;
  state.normalizeTimer = setTimeout(async () => {
    const text = ui.transcript.value;
    try {
      const normalized = await api.normalize(text);
      if (round !== state.normalizeRound) return;
      ui.normalized.textContent = normalized || messages.normalizedEmpty;
      ui.normalized.dataset.state = "ok";
    } catch (error) {
      if (round !== state.normalizeRound) return;
      ui.normalized.textContent = wordsFor(error);
      ui.normalized.dataset.state = "error";
    }
  }, delay);
}

function chosenTags() {
  return [...ui.tagList.querySelectorAll("input:checked")].map((box) => box.value);
}

function showOtherReason() {
  const other = ui.reason.value === otherReason[0];
  ui.other.hidden = !other;
  ui.otherLabel.hidden = !other;
  if (!other) ui.other.value = "";
}

// --- Answering ---------------------------------------------------------------------------

async function answer(result) {
  if (!state.held || state.busy) return;
  const task = state.task;
  setBusy(true);
  complain("");
  say("");
  ui.task.setAttribute("aria-busy", "true");
  try {
    const outcome = await api.submit(task.task_id, { ...result, tags: chosenTags() });
    endTask();
    state.task = null;
    say([messages.recorded[result.verdict], messages.outcomes[outcome?.outcome] ?? ""].filter(Boolean).join(" "), "outcome");
    await claimNext();
  } catch (error) {
    setBusy(false);
    say("");
    if (error instanceof api.ServiceError && error.status === 401) return showSignIn(wordsFor(error));
    if (error instanceof api.ServiceError && (error.code === "lease_lost" || error.status === 404 || error.status === 403)) {
      endTask();
      state.task = null;
      show("queue");
      ui.empty.hidden = true;
      complain(wordsFor(error));
      ui.claim.focus();
      return;
    }
    complain(wordsFor(error));
  }
}

function answerMatches() {
  answer({ verdict: "matches_prompt" });
}

function answerCorrected() {
  const transcript = ui.transcript.value.trim();
  if (!transcript) {
    complain(messages.transcriptEmpty);
    ui.transcript.focus();
    return;
  }
  answer({ verdict: "corrected", transcript });
}

function answerUnusable() {
  let reason = ui.reason.value;
  if (reason === otherReason[0]) {
    reason = ui.other.value.trim();
    if (!reason) {
      complain(messages.describeReason);
      ui.other.focus();
      return;
    }
  }
  if (!reason) {
    complain(messages.chooseReason);
    ui.reason.focus();
    return;
  }
  answer({ verdict: "unusable", unusable_reason: reason });
}

/**
 * Gives the take back and shows the next. The next is claimed first, while this one is still
 * held, so that the queue does not hand the same take straight back.
 */
async function skip() {
  if (!state.held || state.busy) return;
  const task = state.task;
  setBusy(true);
  complain("");
  let claimed;
  try {
    claimed = await api.claim();
  } catch (error) {
    setBusy(false);
    if (error instanceof api.ServiceError && error.status === 401) showSignIn(error.messageFr || messages.signInNeeded);
    else complain(wordsFor(error));
    return;
  }
  // A lease already lost is as good as given back.
  await api.release(task.task_id).catch(() => {});
  endTask();
  state.task = null;
  say(messages.released, "outcome");
  present(claimed);
}

// --- Keys --------------------------------------------------------------------------------

/** Whether the element takes typed text (keys go to it, not to the shortcuts). */
function takesText(element) {
  if (!element) return false;
  if (element instanceof HTMLTextAreaElement || element instanceof HTMLSelectElement) return true;
  if (element instanceof HTMLInputElement) return !["checkbox", "radio", "button", "submit", "reset", "range"].includes(element.type);
  return element.isContentEditable;
}

function leaveField() {
  ui.title.focus();
}

function onKey(event) {
  if (event.defaultPrevented || event.isComposing) return;
  const target = event.target;
  const enter = event.key === "Enter";
  if (target === ui.transcript) {
    if (event.key === "Escape") {
      event.preventDefault();
      leaveField();
    } else if (enter && !event.shiftKey && !event.altKey && !event.metaKey) {
      // Enter or Ctrl+Enter sends the correction.
      event.preventDefault();
      answerCorrected();
    }
    return;
  }
  if (target === ui.reason || target === ui.other) {
    if (event.key === "Escape") {
      event.preventDefault();
      leaveField();
    } else if (enter && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      answerUnusable();
    }
    return;
  }
  if (takesText(target) || event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
  if (!state.held) return;
  const actions = {
    a: answerMatches,
    e: () => {
      ui.transcript.focus();
      const end = ui.transcript.value.length;
      ui.transcript.setSelectionRange(end, end);
    },
    u: () => ui.reason.focus(),
    p: togglePlay,
    s: skip,
    t: () => ui.tagList.querySelector("input")?.focus(),
  };
  const action = actions[event.key.toLowerCase()];
  if (!action) return;
  event.preventDefault();
  action();
}

// --- The page going away -----------------------------------------------------------------

function onPageHide() {
  if (!state.held || !state.task) return;
  api.releaseOnExit(state.task.task_id);
  endTask();
  state.releasedOnExit = true;
}

function onPageShow(event) {
  // Back from the back-forward cache: the task was given back when the page was left.
  if (event.persisted && state.releasedOnExit) {
    state.releasedOnExit = false;
    state.task = null;
    show("queue");
    ui.empty.textContent = messages.released;
    ui.empty.hidden = false;
  }
}

// --- Start -------------------------------------------------------------------------------

async function start() {
  buildChoices();
  ui.signIn.addEventListener("submit", signIn);
  ui.signOut.addEventListener("click", signOut);
  ui.claim.addEventListener("click", claimNext);
  ui.matches.addEventListener("click", answerMatches);
  ui.corrected.addEventListener("click", answerCorrected);
  ui.unusable.addEventListener("click", answerUnusable);
  ui.release.addEventListener("click", skip);
  ui.play.addEventListener("click", togglePlay);
  ui.reason.addEventListener("change", showOtherReason);
  ui.transcript.addEventListener("input", () => previewNormalized());
  for (const name of ["play", "pause", "ended", "timeupdate", "loadedmetadata", "durationchange"]) {
    ui.audio.addEventListener(name, updatePlayButton);
  }
  document.addEventListener("keydown", onKey);
  window.addEventListener("pagehide", onPageHide);
  window.addEventListener("pageshow", onPageShow);

  showServiceStatus(ui.status, messages);
  try {
    const current = await api.session();
    if (!current?.signed_in) return showSignIn(messages.signInNeeded);
    if (current.role !== "verifier") return showSignIn(messages.notAVerifier);
    state.signedIn = true;
  } catch {
    // Unknown: the first claim will tell (a 401 asks for the token).
  }
  show("queue");
  ui.claim.focus();
}

start();
