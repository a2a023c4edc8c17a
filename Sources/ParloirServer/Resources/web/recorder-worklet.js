// The microphone's raw samples, from the audio rendering thread to the page: blocks of mono
// Float32 PCM at the AudioContext's rate, untouched (no gain, no filter). The page keeps them
// while a take is recorded and draws the level meter from them the rest of the time.
//
// Messages to the page: {type: "samples", samples: Float32Array} (the buffer is transferred),
// and {type: "flushed"} after a {type: "flush"} request, once the partly filled block is sent.

/** ~21 ms at 48 kHz: a steady meter without a message for every 128-frame render quantum. */
const blockFrames = 1024;

class RecorderProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.block = new Float32Array(blockFrames);
    this.filled = 0;
    this.port.onmessage = (event) => {
      if (event.data?.type === "flush") {
        this.send();
        this.port.postMessage({ type: "flushed" });
      }
    };
  }

  process(inputs) {
    // The node is made with one channel, "explicit" and "speakers": the browser mixes a stereo
    // microphone down to mono before it gets here. No input channel: nothing connected yet.
    const channel = inputs[0]?.[0];
    if (channel) {
      let read = 0;
      while (read < channel.length) {
        const count = Math.min(channel.length - read, blockFrames - this.filled);
        this.block.set(channel.subarray(read, read + count), this.filled);
        this.filled += count;
        read += count;
        if (this.filled === blockFrames) this.send();
      }
    }
    return true;
  }

  send() {
    if (this.filled === 0) return;
    const samples = this.filled === blockFrames ? this.block : this.block.slice(0, this.filled);
    this.port.postMessage({ type: "samples", samples }, [samples.buffer]);
    // The transferred buffer is gone from this thread: a fresh one for the next block.
    this.block = new Float32Array(blockFrames);
    this.filled = 0;
  }
}

registerProcessor("parloir-recorder", RecorderProcessor);
