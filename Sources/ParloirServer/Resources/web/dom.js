// Small helpers the screens share: building elements, switching screens, French formats.

/**
 * Builds an element. `props`: `class`, `text`, `on…` handlers (functions), `hidden`/`disabled`/
 * `checked`/`required` (booleans, set as properties), anything else as an attribute (skipped
 * when null, undefined or false). Children: nodes, strings, or nested arrays; null is skipped.
 * No `style` attribute: the content security policy refuses inline styles.
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") element.className = value;
    else if (name === "text") element.textContent = value;
    else if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2), value);
    else if (["hidden", "disabled", "checked", "required", "value"].includes(name)) element[name] = value;
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : String(child));
  }
}

let nextId = 0;
/** An id unique on the page, to tie labels, help texts and controls together. */
export function uniqueId(prefix) {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

/**
 * Puts `section` in place of the current screen and moves focus to its heading (the first
 * `h2`, made focusable), so that keyboard and screen-reader users start at the new screen.
 */
export function showScreen(root, section) {
  root.replaceChildren(section);
  const heading = section.querySelector("h2");
  if (heading) {
    heading.tabIndex = -1;
    heading.focus();
  }
  window.scrollTo(0, 0);
}

/**
 * An amount in euros the French way, from cents: "0,12 €", "1 234,50 €". Ordinary spaces, so
 * that the text reads the same everywhere; the element holding it keeps it on one line (CSS).
 */
export function euros(cents) {
  const value = Math.round(Number(cents) || 0);
  const sign = value < 0 ? "-" : "";
  const whole = String(Math.floor(Math.abs(value) / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, " ");
  const fraction = String(Math.abs(value) % 100).padStart(2, "0");
  return `${sign}${whole},${fraction} €`;
}

/**
 * Cents from an API answer that gives `…_cents` (exact) and/or `…_eur` (a number or a decimal
 * string); the cents win when both are there.
 */
export function centsOf(cents, eur) {
  if (Number.isFinite(cents)) return cents;
  const value = typeof eur === "number" ? eur : Number.parseFloat(String(eur ?? "").replace(",", "."));
  return Number.isFinite(value) ? Math.round(value * 100) : 0;
}

/** An element holding an amount: never broken across lines. */
export function amount(cents) {
  return h("span", { class: "amount", text: euros(cents) });
}

/**
 * A message with an amount in it, as nodes: `format` is the message table's function of the
 * amount's text ("Gain : 0,12 €"); the amount itself comes out as an element kept on one line.
 */
export function amountText(format, cents) {
  const marker = "\u0000";
  const [before, after = ""] = format(marker).split(marker);
  return [before, amount(cents), after];
}

const dateFormat = new Intl.DateTimeFormat("fr-FR", { dateStyle: "long", timeStyle: "short" });
/** An ISO-8601 instant as a French date and time, or the text as given when it does not parse. */
export function frenchDate(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso ?? "") : dateFormat.format(date);
}
