// Joining a campaign from an invite link (`/#invite=CODE`, perhaps `/?PROLIFIC_PID=…#invite=CODE`):
// first what the campaign is and what the worker consents to, then a short profile. Joining
// mints the worker; the service sets the session cookie, and the page forgets the link.
import { api, path } from "./api.js";
import { amountText, centsOf, h, showScreen, uniqueId } from "./dom.js";
import { recording as messages, vocabularyLabel } from "./messages-fr.js";
import * as remembered from "./remembered.js";

/** The profile's questions, in the order asked; noise_condition is kept on the device, not in the profile. */
const profileDimensions = ["accent", "region", "gender", "age_band"];

/** Shows the joining screens for invite `code`. */
export async function showJoin(app, code) {
  const loading = h("section", { class: "screen", "data-screen": "loading" }, h("h2", { text: messages.inviteLoading }));
  showScreen(app.root, loading);
  let invite;
  try {
    invite = await api("GET", path`/v1/invites/${code}`);
  } catch (error) {
    if (app.root.firstChild !== loading) return; // the worker went elsewhere meanwhile
    showScreen(
      app.root,
      h(
        "section",
        { class: "screen", "data-screen": "invite-error" },
        h("h2", { text: messages.inviteErrorTitle }),
        h("p", { class: "message problem", "data-testid": "invite-error", text: error.messageFr }),
        error.isTransient ? h("button", { type: "button", text: messages.retry, onclick: () => showJoin(app, code) }) : null,
      ),
    );
    return;
  }
  if (app.root.firstChild !== loading) return;
  const state = { code, invite, consent: false, profile: {}, noise: remembered.noiseCondition() ?? "" };
  showConsent(app, state);
}

function showConsent(app, state) {
  const { campaign = {}, terms = {}, completion } = state.invite;
  const titleID = uniqueId("consent-title");
  const checkboxID = uniqueId("consent");
  const errorID = uniqueId("consent-error");
  const checkbox = h("input", { type: "checkbox", id: checkboxID, "data-testid": "consent", checked: state.consent });
  const error = h("p", { class: "field-error", id: errorID, hidden: true, text: messages.consentMissing });
  const rate = centsOf(campaign.piece_rate_cents, campaign.piece_rate_eur);
  const block = (title, ...content) => h("div", { class: "term" }, h("h3", { text: title }), ...content);

  const form = h(
    "form",
    { class: "consent-form", novalidate: true },
    h("div", { class: "checkbox-field" }, checkbox, h("label", { for: checkboxID, text: messages.consentCheckbox })),
    error,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", "data-testid": "consent-submit", text: messages.consentSubmit })),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!checkbox.checked) {
      error.hidden = false;
      checkbox.setAttribute("aria-invalid", "true");
      checkbox.setAttribute("aria-describedby", errorID);
      checkbox.focus();
      return;
    }
    state.consent = true;
    showProfile(app, state);
  });
  checkbox.addEventListener("change", () => {
    if (checkbox.checked) {
      error.hidden = true;
      checkbox.removeAttribute("aria-invalid");
    }
  });

  showScreen(
    app.root,
    h(
      "section",
      { class: "screen consent-screen", "aria-labelledby": titleID, "data-screen": "consent" },
      h("h2", { id: titleID, text: messages.consentTitle }),
      campaign.name ? h("p", { class: "campaign-name", text: messages.consentCampaign(campaign.name) }) : null,
      block(messages.consentPurpose, h("p", { "data-testid": "terms-purpose", text: campaign.purpose ?? "" })),
      block(messages.consentAudience, h("p", { "data-testid": "terms-audience", text: terms.audience_fr ?? "" })),
      block(messages.consentRetention, h("p", { "data-testid": "terms-retention", text: terms.retention_fr ?? "" }), h("p", { text: messages.consentIdentity })),
      block(
        messages.consentPay,
        h("p", { "data-testid": "terms-pay" }, ...amountText(messages.consentPayText, rate)),
        h("p", { text: messages.consentPayCheck }),
        Number.isFinite(completion?.after_accepted) ? h("p", { text: messages.consentCompletion(completion.after_accepted) }) : null,
      ),
      block(messages.consentErasure, h("p", { "data-testid": "terms-erasure", text: terms.erasure_fr ?? "" })),
      form,
    ),
  );
}

function showProfile(app, state) {
  const vocabulary = state.invite.vocabulary ?? {};
  const titleID = uniqueId("profile-title");
  const message = h("p", { class: "message problem", "data-testid": "message", role: "status", "aria-live": "polite" });
  const noiseVocabulary = nonEmpty(vocabulary.noise_condition) ?? remembered.noiseVocabulary();

  // A dimension the campaign offers no values for is not asked (the service would refuse any).
  const fields = profileDimensions
    .filter((dimension) => nonEmpty(vocabulary[dimension]))
    .map((dimension) => selectField(dimension, vocabulary[dimension], state.profile[dimension] ?? ""));
  const noiseField = selectField("noise_condition", noiseVocabulary, state.noise, messages.profileNoiseHelp);
  const submit = h("button", { type: "submit", class: "primary", "data-testid": "profile-submit", text: messages.profileSubmit });

  const form = h(
    "form",
    { class: "profile-form", novalidate: true },
    fields.map((field) => field.element),
    noiseField.element,
    message,
    h(
      "div",
      { class: "actions" },
      submit,
      h("button", { type: "button", class: "link-button", text: messages.profileBack, onclick: () => showConsent(app, state) }),
    ),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const all = [...fields, noiseField];
    const missing = all.filter((field) => !field.check());
    if (missing.length > 0) {
      message.textContent = messages.profileInvalid;
      missing[0].select.focus();
      return;
    }
    for (const field of fields) state.profile[field.dimension] = field.select.value;
    state.noise = noiseField.select.value;
    message.textContent = messages.profileSending;
    submit.disabled = true;
    try {
      const participantID = participantFromURL(state.invite.participant_param);
      await api("POST", path`/v1/invites/${state.code}/join`, {
        json: { consent: true, profile: state.profile, ...(participantID ? { participant_id: participantID } : {}) },
      });
    } catch (error) {
      submit.disabled = false;
      message.textContent = error.messageFr;
      return;
    }
    // The cookie is set; the token in the answer is for other clients and is not kept.
    remembered.rememberNoiseVocabulary(noiseVocabulary);
    remembered.rememberNoiseCondition(state.noise);
    // The link (invite code, crowd-platform id) leaves the address bar and the history entry.
    history.replaceState(null, "", "/");
    app.route();
  });

  showScreen(
    app.root,
    h(
      "section",
      { class: "screen profile-screen", "aria-labelledby": titleID, "data-screen": "profile" },
      h("h2", { id: titleID, text: messages.profileTitle }),
      h("p", { text: messages.profileIntro }),
      form,
    ),
  );
}

/** A labelled select of `values`, with its French error; check() says whether it is answered. */
function selectField(dimension, values, current, help) {
  const id = uniqueId(`profile-${dimension}`);
  const errorID = `${id}-error`;
  const helpID = help ? `${id}-help` : null;
  const select = h(
    "select",
    { id, name: dimension, "data-testid": `profile-${dimension}`, "aria-describedby": helpID },
    h("option", { value: "", text: messages.choose }),
    values.map((slug) => h("option", { value: slug, text: vocabularyLabel(dimension, slug) })),
  );
  select.value = values.includes(current) ? current : "";
  const error = h("p", { class: "field-error", id: errorID, hidden: true, text: messages.required });
  const element = h(
    "div",
    { class: "field" },
    h("label", { for: id, text: messages.profileFields[dimension] }),
    helpID ? h("p", { class: "help", id: helpID, text: help }) : null,
    select,
    error,
  );
  const check = () => {
    const ok = select.value !== "";
    error.hidden = ok;
    if (ok) {
      select.removeAttribute("aria-invalid");
      select.setAttribute("aria-describedby", helpID ?? "");
      if (!helpID) select.removeAttribute("aria-describedby");
    } else {
      select.setAttribute("aria-invalid", "true");
      select.setAttribute("aria-describedby", [helpID, errorID].filter(Boolean).join(" "));
    }
    return ok;
  };
  select.addEventListener("change", () => {
    if (select.getAttribute("aria-invalid")) check();
  });
  return { dimension, select, element, check };
}

function nonEmpty(list) {
  return Array.isArray(list) && list.length > 0 ? list : null;
}

/** The crowd platform's participant id, from the query parameter the invite names. */
function participantFromURL(param) {
  if (!param) return null;
  const value = new URLSearchParams(window.location.search).get(param);
  return value && value.trim() ? value.trim() : null;
}
