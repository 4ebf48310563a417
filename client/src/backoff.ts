// Exponential backoff for session restarts: 1 s, 2 s, 4 s … capped at 10 s, reset once live.
// One pending retry at a time; an optional tick reports the seconds left (for countdowns).
const FIRST_MS = 1000;
const MAX_MS = 10_000;

export class Backoff {
  private attempt = 0;
  private timer: number | undefined;
  private ticker: number | undefined;

  /** The connection is healthy again: the next failure waits FIRST_MS. */
  reset(): void {
    this.attempt = 0;
  }

  /** The next delay (and counts the attempt). */
  nextDelay(): number {
    const d = Math.min(MAX_MS, FIRST_MS * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 10);
    return d;
  }

  /** Runs `fn` after the next delay, replacing any pending retry; `tick(s)` counts down. */
  schedule(fn: () => void, tick?: (secondsLeft: number) => void): number {
    this.cancel();
    const delay = this.nextDelay();
    const due = performance.now() + delay;
    if (tick) {
      const show = (): void => tick(Math.max(1, Math.ceil((due - performance.now()) / 1000)));
      show();
      this.ticker = window.setInterval(show, 250);
    }
    this.timer = window.setTimeout(() => {
      this.cancel();
      fn();
    }, delay);
    return delay;
  }

  cancel(): void {
    window.clearTimeout(this.timer);
    window.clearInterval(this.ticker);
    this.timer = undefined;
    this.ticker = undefined;
  }
}
