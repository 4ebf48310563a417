// What one session keeps on the low-res worker between updates: its TC-AdaIN statistics (the
// previous update's content statistics per region) and each region's last fitted grid (the
// warm start of the next fit). Created by its first update, dropped when the session ends.
import { createGrid, type GridShape } from '../image/grid.js';
import { TcState } from './neural_targets.js';

export class LowResSession {
  readonly tc = new TcState();
  readonly gridF: Float32Array;
  readonly gridB: Float32Array;
  /** the grids hold a fit (the next fit starts from them) */
  warm = false;

  constructor(shape: GridShape) {
    this.gridF = createGrid(shape);
    this.gridB = createGrid(shape);
  }
}
