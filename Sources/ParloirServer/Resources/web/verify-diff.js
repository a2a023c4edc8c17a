// The prompt against the ASR text, word by word, as the service aligned them (after the French
// normalisation scoring applies): kept words plain, the prompt's missing or replaced words in
// <del>, the ASR's added or replacing words in <ins>, each with words for screen readers, since
// strike-through and colour are not read aloud.

function marked(tag, word, spoken, className) {
  const element = document.createElement(tag);
  element.className = className;
  const hidden = document.createElement("span");
  hidden.className = "visually-hidden";
  hidden.textContent = spoken;
  element.append(hidden, word);
  return element;
}

/**
 * Fills `container` with the alignment `words` (`[{op, ref, hyp}]`); with null (no ASR text),
 * writes `empty` instead.
 */
export function renderDiff(container, words, messages) {
  container.replaceChildren();
  if (!Array.isArray(words)) {
    container.textContent = messages.noASR;
    container.dataset.state = "none";
    return;
  }
  container.dataset.state = words.every((word) => word.op === "equal") ? "same" : "different";
  const parts = [];
  for (const word of words) {
    switch (word.op) {
      case "equal": {
        const span = document.createElement("span");
        span.className = "word";
        span.textContent = word.ref;
        parts.push(span);
        break;
      }
      case "substitute": {
        const group = document.createElement("span");
        group.className = "word changed";
        group.title = messages.replaced(word.ref, word.hyp);
        group.append(marked("del", word.ref, messages.removed, "removed"), marked("ins", word.hyp, messages.added, "added"));
        parts.push(group);
        break;
      }
      case "delete":
        parts.push(marked("del", word.ref, messages.removed, "word removed"));
        break;
      case "insert":
        parts.push(marked("ins", word.hyp, messages.added, "word added"));
        break;
      default:
        break;
    }
  }
  parts.forEach((part, index) => {
    if (index > 0) container.append(" ");
    container.append(part);
  });
}
