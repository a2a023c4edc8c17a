// The recording app (`/`): which screen to show, from the address and the worker's session.
//
//   /#invite=CODE   joining (join.js), then the address is cleared
//   /               recording (record.js)
//   /#travail       "Mon travail" (work.js)
//
// Without a worker's session (GET /v1/session, which answers 200 either way, so that a
// newcomer's visit logs no failed request), a screen asks the worker to open their invitation link,
// or to type the token the campaign's team gave them (a worker they added, or whose token they
// replaced): POST /v1/session turns it into the same HttpOnly cookie.
import { api } from "./api.js";
import { h, showScreen } from "./dom.js";
import { showJoin } from "./join.js";
import { recording as messages } from "./messages-fr.js";
import { showRecording } from "./record.js";
import { showServiceStatus } from "./service.js";
import { showWork } from "./work.js";

const workHash = "#travail";
const recordHash = "#enregistrer";

showServiceStatus(document.querySelector("[data-testid=status]"), messages);

const navigation = buildNavigation();
document.querySelector("header").append(navigation.element);

/** What the screens call back: where to draw, and the ways out of a screen. */
const app = {
  root: document.getElementById("screen"),
  route: () => route(),
  notJoined: (note) => showNotJoined(note),
  erased: (note) => showNotJoined(note),
};

let current = null;
let routing = 0;

/** Shows the screen the address names. `ask`: the worker asked to try again (the screen then says when it is still no use). */
async function route({ ask = false } = {}) {
  const turn = ++routing;
  leaveCurrent();
  const invite = new URLSearchParams(window.location.hash.slice(1)).get("invite");
  if (invite) {
    navigation.show(null);
    await showJoin(app, invite);
    return;
  }
  app.root.setAttribute("aria-busy", "true");
  let me;
  try {
    const session = await api("GET", "/v1/session");
    if (turn !== routing) return;
    if (!session.signed_in || session.role !== "worker") {
      app.root.removeAttribute("aria-busy");
      showNotJoined(ask ? messages.notJoinedStill : null);
      return;
    }
    me = await api("GET", "/v1/me");
  } catch (error) {
    if (turn !== routing) return;
    app.root.removeAttribute("aria-busy");
    if (error.isUnauthorized) showNotJoined(ask ? messages.notJoinedStill : null);
    else showUnavailable(error.messageFr);
    return;
  }
  if (turn !== routing) return;
  app.root.removeAttribute("aria-busy");
  if (window.location.hash === workHash) {
    navigation.show("work");
    current = showWork(app, me);
  } else {
    navigation.show("record");
    current = showRecording(app, me);
  }
}

function leaveCurrent() {
  current?.leave();
  current = null;
}

/** No session: the invitation link is the way in (the service knows workers only by it). */
function showNotJoined(note = null) {
  routing += 1;
  leaveCurrent();
  navigation.show(null);
  showScreen(
    app.root,
    h(
      "section",
      { class: "screen", "data-screen": "not-joined", "data-testid": "not-joined" },
      h("h2", { text: messages.notJoinedTitle }),
      note ? h("p", { class: "message", "data-testid": "message", role: "status", text: note }) : null,
      h("p", { text: messages.notJoinedText }),
      // For a worker who signed in elsewhere in the meantime (the cookie is the session).
      h(
        "p",
        { class: "resume" },
        messages.notJoinedResume,
        " ",
        h("button", { type: "button", class: "link-button", "data-testid": "resume", text: messages.notJoinedResumeButton, onclick: () => route({ ask: true }) }),
      ),
      tokenForm(),
    ),
  );
}

/** The token a campaign's team gave the worker, sent once to open the session (never kept by the page). */
function tokenForm() {
  const input = h("input", {
    id: "token", name: "token", type: "password", autocomplete: "off", spellcheck: "false", required: true, "data-testid": "token",
  });
  const submit = h("button", { type: "submit", "data-testid": "token-submit", text: messages.tokenSubmit });
  return h(
    "form",
    {
      class: "token-sign-in",
      "data-testid": "token-form",
      onsubmit: async (event) => {
        event.preventDefault();
        const token = input.value.trim();
        if (!token) return;
        submit.disabled = true;
        try {
          const session = await api("POST", "/v1/session", { json: { token } });
          if (session.role !== "worker") {
            await api("DELETE", "/v1/session").catch(() => {});
            showNotJoined(messages.tokenNotWorker);
            return;
          }
          route();
        } catch (error) {
          showNotJoined(error.messageFr || messages.networkError);
        }
      },
    },
    h("p", { text: messages.tokenIntro }),
    h("label", { for: "token", text: messages.tokenLabel }),
    input,
    submit,
  );
}

function showUnavailable(text) {
  navigation.show(null);
  showScreen(
    app.root,
    h(
      "section",
      { class: "screen", "data-screen": "unavailable" },
      h("h2", { text: messages.serviceUnavailable }),
      h("p", { class: "message problem", "data-testid": "message", text }),
      h("button", { type: "button", class: "primary", text: messages.retry, onclick: () => route({ ask: true }) }),
    ),
  );
}

/** The two tabs of a joined worker; the current one is marked for assistive technology. */
function buildNavigation() {
  const record = h("a", { href: recordHash, "data-testid": "nav-record", text: messages.navRecord });
  const work = h("a", { href: workHash, "data-testid": "my-work", text: messages.navWork });
  const element = h("nav", { class: "tabs", "aria-label": messages.nav, hidden: true }, record, work);
  return {
    element,
    show(which) {
      element.hidden = which === null;
      for (const [link, name] of [[record, "record"], [work, "work"]]) {
        if (name === which) link.setAttribute("aria-current", "page");
        else link.removeAttribute("aria-current");
      }
    },
  };
}

window.addEventListener("hashchange", () => route());
route();
