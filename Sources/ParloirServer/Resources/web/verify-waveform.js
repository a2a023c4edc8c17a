// The take's waveform on a canvas: one bar per bucket from its lowest to its highest sample,
// the part already played in the accent colour, a playhead that follows the audio, and seeking
// by click or by arrow keys (the canvas is a slider for assistive technology).

/** Seconds as m:ss,t (tenths: a take lasts a few seconds). */
export function clock(seconds) {
  const tenths = Math.max(0, Math.floor((seconds || 0) * 10));
  const whole = Math.floor(tenths / 10);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")},${tenths % 10}`;
}

export class Waveform {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {HTMLAudioElement} audio
   * @param {(current: string, total: string) => string} describe  the slider's spoken position
   */
  constructor(canvas, audio, describe) {
    this.canvas = canvas;
    this.audio = audio;
    this.describe = describe;
    this.peaks = null;
    this.frame = 0;
    canvas.addEventListener("click", (event) => this.seekToPointer(event));
    canvas.addEventListener("keydown", (event) => this.seekByKey(event));
    const redraw = () => this.draw();
    for (const name of ["timeupdate", "seeked", "loadedmetadata", "durationchange"]) audio.addEventListener(name, redraw);
    audio.addEventListener("play", () => this.follow());
    new ResizeObserver(redraw).observe(canvas);
  }

  /** Buckets worth asking for: one per device pixel of the canvas, within what the service gives. */
  bucketsWanted() {
    const width = Math.round(this.canvas.getBoundingClientRect().width * (window.devicePixelRatio || 1));
    return Math.min(4000, Math.max(1, width || 800));
  }

  /** Shows `peaks` (or nothing, with null). */
  show(peaks) {
    this.peaks = peaks;
    this.draw();
  }

  /** The take's length: the audio's own once known, else the waveform's. */
  duration() {
    const own = this.audio.duration;
    if (Number.isFinite(own) && own > 0) return own;
    return this.peaks?.duration_s ?? 0;
  }

  follow() {
    cancelAnimationFrame(this.frame);
    const step = () => {
      this.draw();
      if (!this.audio.paused && !this.audio.ended) this.frame = requestAnimationFrame(step);
    };
    this.frame = requestAnimationFrame(step);
  }

  seek(seconds) {
    const total = this.duration();
    if (!(total > 0)) return;
    this.audio.currentTime = Math.min(Math.max(seconds, 0), total);
    this.draw();
  }

  seekToPointer(event) {
    const box = this.canvas.getBoundingClientRect();
    if (box.width <= 0) return;
    this.seek(((event.clientX - box.left) / box.width) * this.duration());
  }

  seekByKey(event) {
    const now = this.audio.currentTime;
    const moves = { ArrowLeft: now - 1, ArrowDown: now - 1, ArrowRight: now + 1, ArrowUp: now + 1, PageDown: now - 5,
                    PageUp: now + 5, Home: 0, End: this.duration() };
    if (!(event.key in moves) || event.ctrlKey || event.altKey || event.metaKey) return;
    event.preventDefault();
    event.stopPropagation();
    this.seek(moves[event.key]);
  }

  draw() {
    const canvas = this.canvas;
    const ratio = window.devicePixelRatio || 1;
    const box = canvas.getBoundingClientRect();
    const width = Math.max(1, Math.round(box.width * ratio));
    const height = Math.max(1, Math.round(box.height * ratio));
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    const total = this.duration();
    const current = Math.min(this.audio.currentTime || 0, total || 0);
    canvas.setAttribute("aria-valuemin", "0");
    canvas.setAttribute("aria-valuemax", String(Math.round(total * 10) / 10));
    canvas.setAttribute("aria-valuenow", String(Math.round(current * 10) / 10));
    canvas.setAttribute("aria-valuetext", this.describe(clock(current), clock(total)));

    const style = getComputedStyle(canvas);
    const context = canvas.getContext("2d");
    context.clearRect(0, 0, width, height);
    const middle = height / 2;
    context.fillStyle = style.getPropertyValue("--wave-axis").trim() || "#888";
    context.fillRect(0, Math.floor(middle), width, Math.max(1, Math.round(ratio)));
    const peaks = this.peaks;
    if (!peaks || peaks.max.length === 0) return;

    // The part of the drawing the waveform covers (the audio may run a little longer).
    const drawn = total > 0 ? Math.min(1, peaks.duration_s / total) : 1;
    const played = total > 0 ? current / total : 0;
    const count = peaks.max.length;
    const step = (width * drawn) / count;
    const bar = Math.max(1, step > 3 ? step - 1 : step);
    const playedColour = style.getPropertyValue("--wave-played").trim() || "#1d5fa8";
    const restColour = style.getPropertyValue("--wave-rest").trim() || "#8a8f98";
    for (let index = 0; index < count; index++) {
      const high = Math.min(1, Math.max(-1, peaks.max[index]));
      const low = Math.min(1, Math.max(-1, peaks.min[index]));
      const x = index * step;
      const top = middle - high * middle;
      const size = Math.max(ratio, (high - low) * middle);
      context.fillStyle = (x + step / 2) / width <= played ? playedColour : restColour;
      context.fillRect(x, top, bar, size);
    }
    const head = Math.round(played * width);
    context.fillStyle = style.getPropertyValue("--wave-head").trim() || "#c0392b";
    context.fillRect(Math.min(head, width - 2 * ratio), 0, 2 * ratio, height);
  }
}
