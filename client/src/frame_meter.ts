// Counts the frames the remote video actually presents (requestVideoFrameCallback) and
// derives the returned frame rate over the last second. Also the per-frame hook the stamp
// reader uses.
import { hooks } from './test_hooks';

export type FrameListener = (now: number, video: HTMLVideoElement) => void;

export class FrameMeter {
  private running = false;
  private lastPresented = -1;
  private windowStart = performance.now();
  private windowFrames = 0;
  private timer: number | undefined;
  private listener: FrameListener | null = null;

  constructor(private readonly video: HTMLVideoElement) {}

  /** Frames presented since load. */
  get total(): number {
    return hooks.framesPresented;
  }

  /** Frames presented in the last second. */
  get fps(): number {
    return hooks.remoteFps;
  }

  setListener(l: FrameListener | null): void {
    this.listener = l;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    if (typeof this.video.requestVideoFrameCallback === 'function') this.schedule();
    this.windowStart = performance.now();
    this.windowFrames = hooks.framesPresented;
    this.timer = window.setInterval(() => this.roll(), 1000);
  }

  stop(): void {
    this.running = false;
    window.clearInterval(this.timer);
    hooks.remoteFps = 0;
  }

  /** A new srcObject restarts the element's own counter. */
  resetSource(): void {
    this.lastPresented = -1;
  }

  private schedule(): void {
    this.video.requestVideoFrameCallback((now, meta) => {
      if (!this.running) return;
      const n = meta.presentedFrames;
      // presentedFrames also counts frames this callback missed
      const step = this.lastPresented >= 0 && n > this.lastPresented ? n - this.lastPresented : 1;
      this.lastPresented = n;
      hooks.framesPresented += step;
      this.listener?.(now, this.video);
      this.schedule();
    });
  }

  private roll(): void {
    const now = performance.now();
    const secs = Math.max(0.001, (now - this.windowStart) / 1000);
    hooks.remoteFps = Math.round(((hooks.framesPresented - this.windowFrames) / secs) * 10) / 10;
    this.windowStart = now;
    this.windowFrames = hooks.framesPresented;
  }
}
