// The microphone, raw: no echo cancellation, noise suppression or automatic gain (they would
// change the very signal the service judges), one channel, captured sample-exact by an
// AudioWorklet (recorder-worklet.js) rather than MediaRecorder, whose compressed output the
// page could neither check nor turn into WAV.
import { recording as messages } from "./messages-fr.js";
import { concatenate } from "./wav.js";

/** Why the microphone could not be opened, with the words for the worker. */
export class MicrophoneError extends Error {
  constructor(kind, cause) {
    super(kind, cause ? { cause } : undefined);
    this.name = "MicrophoneError";
    this.kind = kind;
  }

  get messageFr() {
    return {
      denied: messages.micDenied,
      missing: messages.micMissing,
      busy: messages.micBusy,
      unsupported: messages.micUnsupported,
    }[this.kind] ?? messages.micFailed;
  }

  /** getUserMedia's DOMException names, as our kinds. */
  static from(error) {
    const kind = {
      NotAllowedError: "denied",
      SecurityError: "denied",
      NotFoundError: "missing",
      OverconstrainedError: "missing",
      NotReadableError: "busy",
      AbortError: "busy",
    }[error?.name] ?? "failed";
    return new MicrophoneError(kind, error);
  }
}

export class Microphone {
  /**
   * `onBlock(samples)` gets every block while the microphone is open (for the meter);
   * `onEnded()` is called when the device goes away (unplugged, permission withdrawn).
   */
  constructor({ onBlock = () => {}, onEnded = () => {} } = {}) {
    this.onBlock = onBlock;
    this.onEnded = onEnded;
    this.context = null;
    this.stream = null;
    this.node = null;
    this.opening = null;
    this.blocks = null;
    this.flushed = null;
  }

  get isOpen() {
    return this.node !== null;
  }

  get sampleRate() {
    return this.context?.sampleRate ?? 0;
  }

  /**
   * Asks for the microphone and starts the worklet; does nothing when already open. Call it from
   * the click that asked to record: the AudioContext is made before the first `await`, inside
   * the user's gesture, which some browsers (Safari) need to let it run.
   */
  open() {
    if (this.isOpen) return Promise.resolve();
    if (!this.opening) {
      this.opening = this.start().finally(() => {
        this.opening = null;
      });
    }
    return this.opening;
  }

  async start() {
    if (!window.isSecureContext || !navigator.mediaDevices?.getUserMedia || typeof AudioWorkletNode === "undefined") {
      throw new MicrophoneError("unsupported");
    }
    // At the context's own rate (the device's): asking for another would make Firefox refuse to
    // connect the microphone, and the service takes any rate from 8 to 192 kHz.
    const context = new AudioContext();
    const resumed = context.resume().catch(() => {});
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false, channelCount: 1 },
      });
    } catch (error) {
      context.close().catch(() => {});
      throw MicrophoneError.from(error);
    }
    try {
      await context.audioWorklet.addModule("/static/recorder-worklet.js");
      const node = new AudioWorkletNode(context, "parloir-recorder", {
        numberOfInputs: 1,
        // No output: the node only listens, so nothing of the microphone reaches the speakers.
        numberOfOutputs: 0,
        channelCount: 1,
        channelCountMode: "explicit",
        channelInterpretation: "speakers",
      });
      node.port.onmessage = (event) => this.receive(event.data);
      context.createMediaStreamSource(stream).connect(node);
      await resumed;
      if (context.state !== "running") await context.resume();
      for (const track of stream.getAudioTracks()) {
        track.addEventListener("ended", () => {
          if (this.stream === stream) {
            this.close();
            this.onEnded();
          }
        });
      }
      this.context = context;
      this.stream = stream;
      this.node = node;
    } catch (error) {
      for (const track of stream.getTracks()) track.stop();
      context.close().catch(() => {});
      throw new MicrophoneError("failed", error);
    }
  }

  receive(message) {
    if (message?.type === "samples") {
      if (this.blocks) this.blocks.push(message.samples);
      this.onBlock(message.samples);
    } else if (message?.type === "flushed" && this.flushed) {
      this.flushed();
    }
  }

  /** Starts keeping the samples (a new take). */
  begin() {
    this.blocks = [];
  }

  /**
   * Stops keeping samples and answers the take's samples, including the block the worklet was
   * still filling (asked for with a flush, which comes back after it on the same port).
   */
  async end() {
    if (!this.blocks) return new Float32Array(0);
    if (this.node) {
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, 500); // a worklet that stopped answering (context closed)
        this.flushed = () => {
          clearTimeout(timer);
          resolve();
        };
        this.node.port.postMessage({ type: "flush" });
      });
      this.flushed = null;
    }
    const samples = concatenate(this.blocks);
    this.blocks = null;
    return samples;
  }

  /** Drops what was being kept, without a take. */
  discard() {
    this.blocks = null;
  }

  /** Releases the microphone (the browser's recording indicator goes off) and the audio context. */
  close() {
    if (this.stream) for (const track of this.stream.getTracks()) track.stop();
    if (this.node) this.node.port.onmessage = null;
    if (this.context) this.context.close().catch(() => {});
    if (this.flushed) this.flushed();
    this.stream = null;
    this.node = null;
    this.context = null;
  }
}
