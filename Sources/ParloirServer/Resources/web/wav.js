// A take as a WAV file: 16-bit PCM, mono, at the rate it was captured (RIFF/WAVE, little-endian,
// 44-byte header), which every decoder reads and the service's checks expect.

/** Joins the captured blocks into one buffer. */
export function concatenate(blocks) {
  const length = blocks.reduce((total, block) => total + block.length, 0);
  const samples = new Float32Array(length);
  let offset = 0;
  for (const block of blocks) {
    samples.set(block, offset);
    offset += block.length;
  }
  return samples;
}

/** `samples` (floats in [-1, 1]) as a WAV file's bytes. */
export function encodeWav(samples, sampleRate) {
  const bytesPerSample = 2;
  const dataBytes = samples.length * bytesPerSample;
  const buffer = new ArrayBuffer(44 + dataBytes);
  const view = new DataView(buffer);
  const ascii = (offset, text) => {
    for (let i = 0; i < text.length; i += 1) view.setUint8(offset + i, text.charCodeAt(i));
  };
  ascii(0, "RIFF");
  view.setUint32(4, 36 + dataBytes, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  view.setUint32(16, 16, true); // size of the fmt chunk
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * bytesPerSample, true); // byte rate
  view.setUint16(32, bytesPerSample, true); // block align
  view.setUint16(34, 16, true); // bits per sample
  ascii(36, "data");
  view.setUint32(40, dataBytes, true);
  let offset = 44;
  for (let i = 0; i < samples.length; i += 1) {
    // Asymmetric scaling, so that -1 maps to -32768 and +1 to +32767 without wrapping.
    const x = Math.max(-1, Math.min(1, samples[i]));
    view.setInt16(offset, x < 0 ? Math.round(x * 0x8000) : Math.round(x * 0x7fff), true);
    offset += bytesPerSample;
  }
  return buffer;
}
