// How much a video moves, frame to frame, for the price of a few hundred reads: the luma of
// a sparse lattice of pixels (about 40 x 24, whatever the size) against the previous frame's.
// The mean absolute difference, in luma levels, is ~0.5-1 for a still webcam picture (sensor
// noise and compression), several levels for a moving speaker, tens for a cut. Segmentation and
// the low-res path run less often while the picture is still (nothing there changes).
import { i420Planes, type I420Frame } from './i420.js';

const COLS = 40;
const ROWS = 24;
/** mean |Δluma| under this is a still picture */
export const STILL_LEVELS = 1.5;

export class MotionMeter {
  readonly #prev = new Uint8Array(COLS * ROWS);
  #width = 0;
  #height = 0;
  #motion = Infinity;
  /** frames in a row whose motion stayed under STILL_LEVELS */
  #stillFrames = 0;

  /** Measures `frame` against the previous one; returns the mean |Δluma| (Infinity for a first or resized frame). */
  measure(frame: I420Frame): number {
    const { y } = i420Planes(frame);
    const W = frame.width,
      H = frame.height;
    const fresh = W !== this.#width || H !== this.#height;
    let sum = 0;
    for (let r = 0; r < ROWS; r++) {
      const row = Math.floor(((r + 0.5) * H) / ROWS) * W;
      for (let c = 0; c < COLS; c++) {
        const v = y[row + Math.floor(((c + 0.5) * W) / COLS)];
        const i = r * COLS + c;
        sum += Math.abs(v - this.#prev[i]);
        this.#prev[i] = v;
      }
    }
    this.#width = W;
    this.#height = H;
    this.#motion = fresh ? Infinity : sum / (COLS * ROWS);
    this.#stillFrames = this.#motion < STILL_LEVELS ? this.#stillFrames + 1 : 0;
    return this.#motion;
  }

  /** The last frame's mean |Δluma|. */
  get motion(): number {
    return this.#motion;
  }

  /** The picture has been still for `frames` frames in a row (a glance at one still frame is not stillness). */
  stillFor(frames: number): boolean {
    return this.#stillFrames >= frames;
  }
}
