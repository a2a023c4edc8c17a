// The one way the app talks to the service: same-origin fetches that carry the session cookie
// (set HttpOnly by the service; the page never sees or stores the token), JSON in and out, and
// the API's errors (`{"error": {"code", "message", "message_fr", …}}`) turned into ApiError.
import { recording as messages } from "./messages-fr.js";

/** A refused or failed call: `status` 0 and `code` "network" when no answer came at all. */
export class ApiError extends Error {
  constructor({ status, code, message, messageFr, hintFr = null, retryAfter = null, body = null, cause }) {
    super(message || code, cause ? { cause } : undefined);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    /** What the worker reads: the service's `message_fr`, or ours for a failure without one. */
    this.messageFr = messageFr;
    /** Advice the service gives with some refusals (`duplicate`). */
    this.hintFr = hintFr;
    /** Seconds the service asked us to wait (`Retry-After`), when it said. */
    this.retryAfter = retryAfter;
    /** The answer's parsed body: a 422 upload answer may be a judged take rather than an error. */
    this.body = body;
  }

  /** Whether the same request may simply be sent again later (nothing was done, or it is idempotent). */
  get isTransient() {
    return this.status === 0 || this.status === 429 || this.status === 502 || this.status === 503 || this.status === 504;
  }

  /** The worker's session is missing or no longer valid. */
  get isUnauthorized() {
    return this.status === 401;
  }
}

/**
 * Sends a request and answers its parsed JSON body (null for an empty one). `json` is sent as a
 * JSON body; `body` as is (then name its Content-Type in `headers`). Throws ApiError.
 */
export async function api(method, path, { json, body, headers = {} } = {}) {
  const init = {
    method,
    credentials: "same-origin",
    cache: "no-store",
    headers: { Accept: "application/json", ...headers },
  };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers["Content-Type"] = "application/json";
  } else if (body !== undefined) {
    init.body = body;
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (cause) {
    throw new ApiError({ status: 0, code: "network", message: "no answer", messageFr: messages.networkError, cause });
  }
  const data = await readJSON(response);
  if (response.ok) return data;
  const error = data && typeof data.error === "object" ? data.error : {};
  throw new ApiError({
    status: response.status,
    code: error.code || `http_${response.status}`,
    message: error.message || response.statusText,
    messageFr: error.message_fr || (response.status >= 500 ? messages.serviceUnavailable : messages.genericError),
    hintFr: error.hint_fr || null,
    retryAfter: retryAfterSeconds(response.headers.get("Retry-After")),
    body: data,
  });
}

async function readJSON(response) {
  const text = await response.text().catch(() => "");
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** `Retry-After` as seconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
function retryAfterSeconds(header) {
  if (!header) return null;
  if (/^\d+$/.test(header.trim())) return Number(header.trim());
  const when = Date.parse(header);
  return Number.isNaN(when) ? null : Math.max(0, Math.ceil((when - Date.now()) / 1000));
}

/** Path segments from the API's ids, escaped. */
export function path(strings, ...values) {
  return strings.reduce((out, part, index) => out + part + (index < values.length ? encodeURIComponent(values[index]) : ""), "");
}
