// The live level of the microphone: a bar for the RMS level and a lighter one for the peak,
// on a -60…0 dBFS scale, drawn once per animation frame from the blocks the worklet sends.
// For assistive technology it is a `meter` whose value (peak dBFS) is updated a few times a
// second, not at frame rate, and which is not a live region (it would never stop talking).
import { h } from "./dom.js";
import { recording as messages } from "./messages-fr.js";

const floorDb = -60;
/** The peak bar falls back by this much per second once the voice stops (a meter's ballistics). */
const fallDbPerSecond = 24;
/** Over this peak the bar turns "hot"; at full scale it shows clipping. */
const hotDb = -6;
const clipDb = -0.01;
const ariaEveryMs = 250;

function dbfs(amplitude) {
  return amplitude > 0 ? Math.max(floorDb, 20 * Math.log10(amplitude)) : floorDb;
}

export class LevelMeter {
  constructor() {
    this.rmsBar = h("span", { class: "meter-rms" });
    this.peakBar = h("span", { class: "meter-peak" });
    this.element = h(
      "div",
      {
        class: "meter",
        role: "meter",
        "aria-label": messages.meterLabel,
        "aria-valuemin": floorDb,
        "aria-valuemax": 0,
        "aria-valuenow": floorDb,
        "aria-valuetext": messages.meterIdle,
        "data-testid": "level",
      },
      this.peakBar,
      this.rmsBar,
    );
    this.pendingPeak = 0;
    this.pendingSquares = 0;
    this.pendingCount = 0;
    this.shownPeakDb = floorDb;
    this.lastFrame = 0;
    this.lastAria = 0;
    this.frame = null;
  }

  /** Adds a block of samples (called for every block the microphone sends). */
  push(samples) {
    let peak = this.pendingPeak;
    let squares = 0;
    for (let i = 0; i < samples.length; i += 1) {
      const x = samples[i];
      const magnitude = Math.abs(x);
      if (magnitude > peak) peak = magnitude;
      squares += x * x;
    }
    this.pendingPeak = peak;
    this.pendingSquares += squares;
    this.pendingCount += samples.length;
    if (this.frame === null) this.frame = requestAnimationFrame((time) => this.draw(time));
  }

  draw(time) {
    this.frame = null;
    const elapsed = this.lastFrame ? (time - this.lastFrame) / 1000 : 0;
    this.lastFrame = time;
    const rmsDb = this.pendingCount > 0 ? dbfs(Math.sqrt(this.pendingSquares / this.pendingCount)) : floorDb;
    const peakDb = dbfs(this.pendingPeak);
    this.shownPeakDb = Math.max(peakDb, this.shownPeakDb - fallDbPerSecond * elapsed);
    this.pendingPeak = 0;
    this.pendingSquares = 0;
    this.pendingCount = 0;
    // Transforms, not widths: no layout per frame. Setting element.style from a script is
    // allowed by the content security policy (only style attributes in markup are refused).
    this.rmsBar.style.transform = `scaleX(${(rmsDb - floorDb) / -floorDb})`;
    this.peakBar.style.transform = `scaleX(${(this.shownPeakDb - floorDb) / -floorDb})`;
    this.element.dataset.state = peakDb >= clipDb ? "clip" : peakDb >= hotDb ? "hot" : "ok";
    if (time - this.lastAria >= ariaEveryMs) {
      this.lastAria = time;
      const rounded = Math.round(this.shownPeakDb);
      this.element.setAttribute("aria-valuenow", String(rounded));
      this.element.setAttribute("aria-valuetext", messages.meterValue(rounded));
    }
  }

  /** Back to silence (the microphone was closed). */
  reset() {
    if (this.frame !== null) cancelAnimationFrame(this.frame);
    this.frame = null;
    this.pendingPeak = 0;
    this.pendingSquares = 0;
    this.pendingCount = 0;
    this.shownPeakDb = floorDb;
    this.lastFrame = 0;
    this.rmsBar.style.transform = "scaleX(0)";
    this.peakBar.style.transform = "scaleX(0)";
    this.element.dataset.state = "ok";
    this.element.setAttribute("aria-valuenow", String(floorDb));
    this.element.setAttribute("aria-valuetext", messages.meterIdle);
  }
}
