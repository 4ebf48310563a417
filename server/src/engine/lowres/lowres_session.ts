// What one session keeps on the low-res worker between updates: its TC-AdaIN statistics (the
// previous update's content statistics per region: the neural tier's TcState, the learned
// tier's ST-AdaIN state), each region's last fitted grid (the warm start of the next fit),
// and the last update's frame statistics, from which a scene cut or a sudden light change is
// detected (the temporal state is then reset rather than dragged along). Created by the
// session's first update, dropped when the session ends.
import { createGrid, type GridShape } from '../image/grid.js';
import { TcState } from './neural_targets.js';

/** Frame statistics that move this much between two updates mean a new scene (or a light switched). */
const CUT = { lumaMean: 18, lumaStdRatio: 1.5, chromaMean: 10 };

export class LowResSession {
  readonly tc = new TcState();
  readonly gridF: Float32Array;
  readonly gridB: Float32Array;
  /** the grids hold a fit (the next fit starts from them) */
  warm = false;
  /** learned tier: both regions' ST-AdaIN statistics after the last update (2 x S), once it ran */
  learnedState: Float32Array | null = null;
  readonly #last = { y: 0, sy: 0, u: 0, v: 0, seen: false };

  constructor(shape: GridShape) {
    this.gridF = createGrid(shape);
    this.gridB = createGrid(shape);
  }

  /**
   * Notes this update's frame (interleaved Y, U-128, V-128) and says whether it is a new scene
   * against the last update's: a cut, or a sudden change of light or white balance.
   */
  sceneChanged(yuv: Float32Array, n: number): boolean {
    let y = 0,
      y2 = 0,
      u = 0,
      v = 0;
    for (let i = 0; i < n; i++) {
      const Y = yuv[3 * i];
      y += Y;
      y2 += Y * Y;
      u += yuv[3 * i + 1];
      v += yuv[3 * i + 2];
    }
    y /= n;
    u /= n;
    v /= n;
    const sy = Math.sqrt(Math.max(1, y2 / n - y * y));
    const last = this.#last;
    const changed =
      last.seen &&
      (Math.abs(y - last.y) > CUT.lumaMean ||
        Math.max(sy / last.sy, last.sy / sy) > CUT.lumaStdRatio ||
        Math.hypot(u - last.u, v - last.v) > CUT.chromaMean);
    Object.assign(last, { y, sy, u, v, seen: true });
    return changed;
  }
}
