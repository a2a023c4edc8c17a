// "Mon travail": the worker's takes (newest first) with their verdicts, replay, earnings,
// appeals against refusals, the download of everything kept about them, and erasure.
import { api, path } from "./api.js";
import { amountText, centsOf, frenchDate, h, showScreen, uniqueId } from "./dom.js";
import { recording as messages } from "./messages-fr.js";
import * as remembered from "./remembered.js";

/** Shows the screen for the worker `me` (GET /v1/me); answers an object with leave(). */
export function showWork(app, me) {
  const titleID = uniqueId("work-title");
  const list = h("div", { class: "takes", "data-testid": "recordings", "aria-busy": "true" }, h("p", { text: messages.loading }));
  const message = h("p", { class: "message", "data-testid": "message", role: "status", "aria-live": "polite" });
  const screen = { left: false, leave() { this.left = true; } };
  const counts = me.takes ?? {};

  showScreen(
    app.root,
    h(
      "section",
      { class: "screen work-screen", "aria-labelledby": titleID, "data-screen": "work" },
      h("h2", { id: titleID, text: messages.workTitle }),
      h(
        "p",
        { class: "earnings" },
        h("span", { "data-testid": "earnings" }, ...amountText(messages.workEarnings, centsOf(me.earnings_cents, me.earnings_eur))),
        h("span", { class: "counts", text: ` (${messages.workCounts(counts.accept ?? 0, counts.reject ?? 0)})` }),
      ),
      message,
      h("h3", { text: messages.workTakesTitle }),
      list,
      exportSection(),
      erasureSection(app, me, screen),
    ),
  );

  api("GET", "/v1/me/recordings")
    .then((answer) => {
      if (screen.left) return;
      const recordings = answer?.recordings ?? [];
      list.removeAttribute("aria-busy");
      if (recordings.length === 0) {
        list.replaceChildren(h("p", { "data-testid": "recordings-empty", text: messages.workEmpty }));
        return;
      }
      list.replaceChildren(h("ul", { class: "take-list" }, recordings.map((recording) => takeItem(recording, app))));
    })
    .catch((error) => {
      if (screen.left) return;
      if (error.isUnauthorized) return app.notJoined();
      list.removeAttribute("aria-busy");
      list.replaceChildren();
      message.textContent = error.messageFr;
    });
  return screen;
}

function takeItem(recording, app) {
  const date = frenchDate(recording.created_at);
  const reasons = (recording.reasons ?? []).map((reason) => reason.hint_fr).filter(Boolean);
  const outcome = messages.workOutcome[recording.outcome];
  const appealArea = h("div", { class: "appeal" });
  const item = h(
    "li",
    { class: "take", "data-testid": "recording", "data-recording-id": recording.id, "data-verdict": recording.verdict },
    h("p", { class: "take-prompt", lang: "fr", text: recording.prompt_text ?? "" }),
    h(
      "p",
      { class: "take-meta" },
      h("span", { class: "badge", "data-verdict": recording.verdict, "data-testid": "recording-verdict", text: messages.workVerdicts[recording.verdict] ?? recording.verdict }),
      " ",
      h("span", { text: [date, Number.isFinite(recording.take) ? messages.workTakeNumber(recording.take) : null].filter(Boolean).join(" · ") }),
      outcome ? h("span", { "data-testid": "recording-outcome", text: ` · ${outcome}` }) : null,
      // Paid whatever the first verdict said: an appeal that was upheld pays a refused take.
      recording.pay_cents > 0 ? h("span", {}, " · ", ...amountText(messages.workPaid, recording.pay_cents)) : null,
    ),
    reasons.length > 0 ? h("ul", { class: "hints", "data-testid": "recording-reasons" }, [...new Set(reasons)].map((hint) => h("li", { text: hint }))) : null,
    recording.audio_url
      ? h("audio", { controls: true, preload: "none", src: recording.audio_url, "data-testid": "replay", "aria-label": messages.workReplay(date) })
      : null,
    appealArea,
  );
  showAppeal(appealArea, recording, app);
  return item;
}

/** The appeal's state, or (for a refusal not yet appealed) the way to appeal. */
function showAppeal(area, recording, app) {
  if (recording.appeal) {
    area.replaceChildren(
      h("p", { class: "appeal-state", "data-testid": "appeal-state", "data-state": recording.appeal.state ?? "" }, recording.appeal.message_fr ?? ""),
    );
    return;
  }
  if (recording.verdict !== "reject") {
    area.replaceChildren();
    return;
  }
  const formID = uniqueId("appeal-form");
  const open = h("button", {
    type: "button",
    class: "link-button",
    "data-testid": "appeal",
    "aria-expanded": "false",
    "aria-controls": formID,
    text: messages.appeal,
  });
  const commentID = uniqueId("appeal-comment");
  const helpID = `${commentID}-help`;
  const comment = h("textarea", { id: commentID, rows: "3", maxlength: "2000", "data-testid": "appeal-comment", "aria-describedby": helpID });
  const message = h("p", { class: "message", role: "status", "aria-live": "polite" });
  const submit = h("button", { type: "submit", class: "primary", "data-testid": "appeal-submit", text: messages.appealSubmit });
  const form = h(
    "form",
    { class: "appeal-form", id: formID, hidden: true, novalidate: true },
    h("label", { for: commentID, text: messages.appealComment }),
    h("p", { class: "help", id: helpID, text: messages.appealCommentHelp }),
    comment,
    message,
    h(
      "div",
      { class: "actions" },
      submit,
      h("button", {
        type: "button",
        class: "link-button",
        text: messages.appealCancel,
        onclick: () => {
          form.hidden = true;
          open.setAttribute("aria-expanded", "false");
          open.focus();
        },
      }),
    ),
  );
  open.addEventListener("click", () => {
    const opening = form.hidden;
    form.hidden = !opening;
    open.setAttribute("aria-expanded", String(opening));
    if (opening) comment.focus();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = comment.value.trim();
    if (!text) {
      message.textContent = messages.appealCommentMissing;
      comment.setAttribute("aria-invalid", "true");
      comment.focus();
      return;
    }
    comment.removeAttribute("aria-invalid");
    submit.disabled = true;
    try {
      const answer = await api("POST", path`/v1/recordings/${recording.id}/appeal`, { json: { comment: text } });
      recording.appeal = { state: answer?.state, comment: answer?.comment ?? text, message_fr: answer?.message_fr };
      showAppeal(area, recording, app);
      // The button that had focus is gone: the answer takes it, so it is read out.
      const state = area.querySelector("[data-testid=appeal-state]");
      state.tabIndex = -1;
      state.focus();
    } catch (error) {
      if (error.isUnauthorized) return app.notJoined();
      submit.disabled = false;
      message.textContent = error.messageFr;
    }
  });
  area.replaceChildren(open, form);
}

function exportSection() {
  const titleID = uniqueId("export-title");
  return h(
    "section",
    { class: "panel", "aria-labelledby": titleID },
    h("h3", { id: titleID, text: messages.exportTitle }),
    h("p", { text: messages.exportText }),
    // A plain link: the browser downloads the ZIP with the session cookie, no script in between.
    h("p", {}, h("a", { href: "/v1/me/export", download: "", "data-testid": "export", text: messages.exportLink })),
  );
}

function erasureSection(app, me, screen) {
  const titleID = uniqueId("erase-title");
  const inputID = uniqueId("erase-confirm");
  const helpID = `${inputID}-help`;
  const input = h("input", {
    type: "text",
    id: inputID,
    autocomplete: "off",
    autocapitalize: "none",
    spellcheck: "false",
    "data-testid": "erase-confirm",
    "aria-describedby": helpID,
  });
  const message = h("p", { class: "message problem", role: "status", "aria-live": "polite" });
  const submit = h("button", { type: "submit", class: "danger", "data-testid": "erase-submit", text: messages.eraseSubmit });
  const form = h(
    "form",
    { class: "erase-form", novalidate: true },
    h("p", { id: helpID }, messages.eraseYourId, " ", h("code", { class: "member-id", "data-testid": "member-id", text: me.id ?? "" })),
    h("label", { for: inputID, text: messages.eraseLabel }),
    input,
    message,
    h("div", { class: "actions" }, submit),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const typed = input.value.trim();
    if (typed !== me.id) {
      message.textContent = messages.eraseMismatch;
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
    input.removeAttribute("aria-invalid");
    submit.disabled = true;
    try {
      const tombstone = await api("DELETE", "/v1/me", { json: { confirm: typed } });
      if (screen.left) return;
      remembered.forgetAll();
      app.erased(messages.eraseDone(Number(tombstone?.takes) || 0));
    } catch (error) {
      if (error.isUnauthorized) return app.notJoined();
      submit.disabled = false;
      message.textContent = error.messageFr;
    }
  });
  return h(
    "section",
    { class: "panel danger-zone", "aria-labelledby": titleID },
    h("h3", { id: titleID, text: messages.eraseTitle }),
    h("p", { text: messages.eraseText }),
    form,
  );
}
