// Quick checks on a take before it is sent: the obvious failures a worker can fix at once,
// caught without spending an upload (or one of the assignment's three takes) on them. The
// service still judges everything; these only catch what it would surely refuse.

/** Shorter than this is surely too short (the service's own minimum is a campaign rule). */
export const minimumSeconds = 0.5;
/** A peak under -45 dBFS: the microphone heard nothing, or is muted. */
export const silentPeak = 10 ** (-45 / 20);
/** A sample at or over this magnitude is taken as clipped. */
export const clipLevel = 0.999;
/**
 * Clipped samples past this share refuse the take: ten times the service's standard rule
 * (0.1 %), which a campaign may change. A take clipped less than this is the service's to judge,
 * and its verdict names the reason; only one that every campaign would refuse stays here.
 */
export const clippedShare = 0.01;

/** What is surely wrong with the take ("too_short", "silent", "too_loud"), or null. */
export function quickCheck(samples, sampleRate) {
  if (samples.length < minimumSeconds * sampleRate) return "too_short";
  let peak = 0;
  let clipped = 0;
  for (let i = 0; i < samples.length; i += 1) {
    const magnitude = Math.abs(samples[i]);
    if (magnitude > peak) peak = magnitude;
    if (magnitude >= clipLevel) clipped += 1;
  }
  if (peak < silentPeak) return "silent";
  if (clipped > clippedShare * samples.length) return "too_loud";
  return null;
}
