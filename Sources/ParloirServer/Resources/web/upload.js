// Sending a take, safely again and again: a take is its WAV bytes, its noise condition and an
// Idempotency-Key made once when it was recorded. Every retry sends the very same request, so
// the service stores the take at most once and answers a retry with the first verdict, even
// when the first attempt reached it and only its answer was lost.
import { api, path } from "./api.js";

/** Waits between attempts, doubling: 1, 2, 4, 8, 15, 15… seconds (a connection back is soon used). */
const firstDelayMs = 1000;
const longestDelayMs = 15_000;
/** After this long without an answer, the worker is asked to resend by hand. */
const giveUpAfterMs = 120_000;

/** A take ready to send, made once per recording. */
export function newTake(wav, noiseCondition) {
  return { wav: new Blob([wav], { type: "audio/wav" }), noiseCondition, key: newKey() };
}

function newKey() {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  // Secure contexts have randomUUID; this is for older browsers that have only getRandomValues.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * PUTs the take on the assignment and answers the judged take. A lost connection, a 502/503/504
 * or a 429 is retried with backoff (honouring Retry-After) for up to two minutes; `onWait(ms)`
 * is told before each wait, and `onAttempt()` as each attempt starts. Throws the last ApiError
 * when it gives up or when the service refused the take.
 */
export async function sendTake(assignmentID, take, { onWait = () => {}, onAttempt = () => {} } = {}) {
  const started = Date.now();
  let delay = firstDelayMs;
  let renewedKey = false;
  for (;;) {
    onAttempt();
    try {
      return await api("PUT", path`/v1/assignments/${assignmentID}/recording`, {
        body: take.wav,
        headers: {
          "Content-Type": "audio/wav",
          "Idempotency-Key": take.key,
          ...(take.noiseCondition ? { "X-Noise-Condition": take.noiseCondition } : {}),
        },
      });
    } catch (error) {
      // The key was once used with other bytes or another assignment (it cannot be, unless two
      // tabs collided): the service stored nothing for this request, so a fresh key is safe.
      if (error.code === "idempotency_key_reused" && !renewedKey) {
        renewedKey = true;
        take.key = newKey();
        continue;
      }
      if (!error.isTransient) throw error;
      const wait = Math.max(delay, (error.retryAfter ?? 0) * 1000);
      if (Date.now() - started + wait > giveUpAfterMs) throw error;
      onWait(wait);
      await pause(wait);
      delay = Math.min(delay * 2, longestDelayMs);
    }
  }
}

/** Waits `ms`, or less when the browser says it is back online. */
function pause(ms) {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      window.removeEventListener("online", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    window.addEventListener("online", done);
  });
}
