// The lease on the task being verified, counted down on the service's clock: the claim's
// `lease_expires_at` minus the service's time when it answered, run on this page's monotonic
// clock, so that a computer whose clock is wrong still shows the right time left.

/** Milliseconds as mm:ss. */
export function minutesSeconds(milliseconds) {
  const seconds = Math.max(0, Math.floor(milliseconds / 1000));
  return `${String(Math.floor(seconds / 60)).padStart(2, "0")}:${String(seconds % 60).padStart(2, "0")}`;
}

export class LeaseCountdown {
  /**
   * @param {(left: number) => void} tick  called with the milliseconds left, about four times a second
   * @param {() => void} expired  called once, when none are left
   */
  constructor(tick, expired) {
    this.tick = tick;
    this.expired = expired;
    this.timer = 0;
  }

  /** Starts counting to `expiresAt` (ISO 8601), the service's clock reading `serverNow` (ms) now. */
  start(expiresAt, serverNow) {
    this.stop();
    const left = Date.parse(expiresAt) - serverNow;
    const deadline = performance.now() + (Number.isFinite(left) ? left : 0);
    const update = () => {
      const remaining = deadline - performance.now();
      this.tick(Math.max(0, remaining));
      if (remaining <= 0) {
        this.stop();
        this.expired();
      }
    };
    this.timer = setInterval(update, 250);
    update();
  }

  stop() {
    clearInterval(this.timer);
    this.timer = 0;
  }
}
