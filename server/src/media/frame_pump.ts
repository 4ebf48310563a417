// Hands the newest decoded frame to the stylizer. While one frame is being processed, only
// the newest arrival is kept (never a queue): older waiting frames are dropped and counted,
// so latency stays one frame deep whatever the engine's speed.

export class FramePump<F> {
  private busy = false;
  private pending: F | null = null;
  private closed = false;
  /** frames handed to push() */
  received = 0;
  /** frames replaced by a newer one before the engine took them */
  dropped = 0;
  /** frames the engine finished (successfully or not) */
  completed = 0;
  failed = 0;

  constructor(
    private readonly run: (frame: F) => Promise<void>,
    private readonly onError: (e: unknown) => void = () => {},
  ) {}

  push(frame: F): void {
    if (this.closed) return;
    this.received++;
    if (this.busy) {
      if (this.pending !== null) this.dropped++;
      this.pending = frame;
      return;
    }
    void this.drive(frame);
  }

  private async drive(first: F): Promise<void> {
    this.busy = true;
    let frame: F | null = first;
    while (frame !== null && !this.closed) {
      try {
        await this.run(frame);
      } catch (e) {
        this.failed++;
        this.onError(e);
      }
      this.completed++;
      frame = this.pending;
      this.pending = null;
    }
    this.busy = false;
  }

  get inFlight(): boolean {
    return this.busy;
  }

  /** No more frames: the waiting one is dropped (the one in the engine finishes). */
  close(): void {
    this.closed = true;
    this.pending = null;
  }
}
