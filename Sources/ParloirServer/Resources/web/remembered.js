// What this device remembers about the worker between visits, in localStorage. Never the token:
// that lives in the service's HttpOnly cookie, out of any script's reach.
//
// - The noise condition they record in (sent as X-Noise-Condition), and the campaign's list of
//   conditions, which only the invite gives.

const keys = Object.freeze({
  noise: "parloir.noiseCondition",
  noiseVocabulary: "parloir.noiseVocabulary",
});

/** The conditions the API knows (NoiseCondition in openapi.yaml), for a campaign that did not say. */
const defaultNoiseVocabulary = Object.freeze(["quiet", "indoor", "outdoor", "vehicle"]);

function read(key) {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null;
  }
}

function write(key, value) {
  try {
    if (value === null) window.localStorage.removeItem(key);
    else window.localStorage.setItem(key, value);
  } catch {
    // Storage refused (private browsing, quota): the app still works, it only forgets sooner.
  }
}

export function noiseCondition() {
  const value = read(keys.noise);
  return value && noiseVocabulary().includes(value) ? value : null;
}

export function rememberNoiseCondition(value) {
  write(keys.noise, value || null);
}

export function noiseVocabulary() {
  try {
    const list = JSON.parse(read(keys.noiseVocabulary) ?? "null");
    if (Array.isArray(list) && list.length > 0 && list.every((item) => typeof item === "string")) return list;
  } catch {
    // Unreadable: the default below.
  }
  return [...defaultNoiseVocabulary];
}

export function rememberNoiseVocabulary(list) {
  write(keys.noiseVocabulary, Array.isArray(list) && list.length > 0 ? JSON.stringify(list) : null);
}

/** Forgets everything (after the worker erased their data). */
export function forgetAll() {
  for (const key of Object.values(keys)) write(key, null);
}
