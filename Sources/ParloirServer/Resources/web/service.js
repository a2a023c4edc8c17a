// What every page asks the service before anything else: whether it answers.

/** True when `GET /healthz` answers `{"status": "ok"}`. */
export async function serviceAnswers() {
  try {
    const response = await fetch("/healthz", { headers: { Accept: "application/json" }, cache: "no-store" });
    if (!response.ok) return false;
    const body = await response.json();
    return body.status === "ok";
  } catch {
    return false;
  }
}

/** Writes the service's state into `element`, with the page's words for it. */
export async function showServiceStatus(element, messages) {
  const up = await serviceAnswers();
  element.textContent = up ? messages.serviceAvailable : messages.serviceUnavailable;
  element.dataset.state = up ? "up" : "down";
}
