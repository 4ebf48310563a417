import { describe, expect, it } from 'vitest';
import { DEFAULT_GRID } from '../image/grid.js';
import { LowResSession } from './lowres_session.js';

/** A w x h interleaved (Y, U-128, V-128) image: a luma ramp around `y`, constant chroma. */
function frame(y: number, u = 0, v = 0, contrast = 1, n = 64 * 36): Float32Array {
  const out = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    out[3 * i] = y + contrast * 40 * Math.sin(i * 0.37);
    out[3 * i + 1] = u;
    out[3 * i + 2] = v;
  }
  return out;
}

describe('LowResSession scene cuts', () => {
  it('sees a cut or a sudden light change, not the same scene nor a slow drift', () => {
    const n = 64 * 36;
    const s = new LowResSession(DEFAULT_GRID);
    expect(s.sceneChanged(frame(120), n)).toBe(false); // the first update has nothing to compare
    expect(s.sceneChanged(frame(124), n)).toBe(false);
    expect(s.sceneChanged(frame(128), n)).toBe(false); // a slow drift: each step small
    expect(s.sceneChanged(frame(70), n)).toBe(true); // the light went down
    expect(s.sceneChanged(frame(70, 14, -6), n)).toBe(true); // white balance jumped
    expect(s.sceneChanged(frame(70, 14, -6, 2), n)).toBe(true); // contrast doubled: another scene
    expect(s.sceneChanged(frame(71, 14, -6, 2), n)).toBe(false);
  });
});
