// The verification page's calls to the service (openapi.yaml, docs/web-app.md). The session is
// an HttpOnly cookie the service sets: no script here ever holds the token after sign-in.

/** A refusal from the service: its status, stable code and the French words to show. */
export class ServiceError extends Error {
  constructor(status, code, messageFr, retryAfter) {
    super(`${status} ${code}`);
    this.status = status;
    this.code = code;
    this.messageFr = messageFr;
    this.retryAfter = retryAfter;
  }
}

/** The service could not be reached at all. */
export class NetworkError extends Error {}

async function call(method, path, body) {
  const init = { method, headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new NetworkError(String(error));
  }
  if (response.status === 204) return { response, body: null };
  let json = null;
  try {
    json = await response.json();
  } catch {
    json = null;
  }
  if (!response.ok) {
    const error = json?.error ?? {};
    const retry = Number.parseInt(response.headers.get("Retry-After") ?? "", 10);
    throw new ServiceError(response.status, error.code ?? "error", error.message_fr ?? "", Number.isFinite(retry) ? retry : null);
  }
  return { response, body: json };
}

/** Whether the page has a session: `{signed_in, member_id?, role?}` (200 either way). */
export async function session() {
  return (await call("GET", "/v1/session")).body;
}

/** Signs in with a token: the service answers `{member_id, role}` and sets the session cookie. */
export async function signIn(token) {
  return (await call("POST", "/v1/session", { token })).body;
}

/** Ends the session (the cookie is cleared). */
export async function signOut() {
  await call("DELETE", "/v1/session");
}

/**
 * The next task, or null when nothing waits. `serverNow` is the service's clock at the answer
 * (its `Date` header), so that the lease countdown does not depend on this computer's clock.
 */
export async function claim() {
  const { response, body } = await call("POST", "/v1/verification/claim");
  if (body === null) return null;
  // `Date` counts whole seconds: the service's clock read somewhere within the second after it.
  const date = Date.parse(response.headers.get("Date") ?? "");
  return { task: body, serverNow: Number.isFinite(date) ? date + 500 : Date.now() };
}

/** The take's waveform: `{duration_s, sample_rate, buckets, min, max}`. */
export async function peaks(url, buckets) {
  return (await call("GET", `${url}?buckets=${buckets}`)).body;
}

/** The text as scoring normalises it. */
export async function normalize(text) {
  return (await call("POST", "/v1/verification/normalize", { text })).body.normalized;
}

/** Posts a result: `{verdict, transcript?, tags?, unusable_reason?}`; the answer has `outcome`. */
export async function submit(taskID, result) {
  return (await call("POST", `/v1/verification/tasks/${encodeURIComponent(taskID)}/result`, result)).body;
}

/** Gives the task back to the queue. */
export async function release(taskID) {
  await call("POST", `/v1/verification/tasks/${encodeURIComponent(taskID)}/release`);
}

/** Gives the task back as the page goes away: a beacon outlives the page and carries the cookie. */
export function releaseOnExit(taskID) {
  return navigator.sendBeacon(`/v1/verification/tasks/${encodeURIComponent(taskID)}/release`);
}
