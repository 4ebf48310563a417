// Metrics for person-segmentation tests, and the RVM-made reference composites they are
// measured against (test/support/seg_fixtures.ts).
import { describe, expect, it } from 'vitest';
import { loadRgb, PHOTOS } from '../support/media.js';
import { boundaryF, centroidX, defaultBoundaryTolerance, iou, maskChangeFraction } from '../support/mask_metrics.js';
import { compositeOnto, cutPerson, REFERENCE_SET, toI420 } from '../support/seg_fixtures.js';

const W = 640,
  H = 480;

/** A 0/255 mask with the rectangle [x0, x1) × [y0, y1) set. */
function rect(x0: number, y0: number, x1: number, y1: number, w = W, h = H): Uint8Array {
  const m = new Uint8Array(w * h);
  for (let y = Math.max(0, y0); y < Math.min(h, y1); y++) m.fill(255, y * w + Math.max(0, x0), y * w + Math.min(w, x1));
  return m;
}

/** A 0/255 disc. */
function disc(cx: number, cy: number, r: number, w = W, h = H): Uint8Array {
  const m = new Uint8Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) m[y * w + x] = 255;
  return m;
}

describe('iou', () => {
  it('is 1 for identical masks, 0 for disjoint ones', () => {
    const a = rect(100, 100, 300, 300);
    expect(iou(a, a.slice())).toBe(1);
    expect(iou(a, rect(400, 100, 500, 300))).toBe(0);
  });

  it('is 1/2 when the prediction is half of the truth, 1/3 for two half-overlapping squares', () => {
    expect(iou(rect(100, 100, 200, 300), rect(100, 100, 300, 300))).toBe(0.5);
    expect(iou(rect(0, 0, 100, 100), rect(50, 0, 150, 100))).toBeCloseTo(1 / 3, 12);
  });

  it('thresholds soft masks at 128', () => {
    const soft = rect(100, 100, 300, 300).map((v) => (v ? 128 : 127));
    expect(iou(soft, rect(100, 100, 300, 300))).toBe(1);
  });
});

describe('boundaryF', () => {
  it('uses round(0.008 x diagonal) as the default tolerance', () => {
    expect(defaultBoundaryTolerance(640, 480)).toBe(6);
    expect(defaultBoundaryTolerance(1280, 720)).toBe(12);
  });

  it('is 1 for identical masks and for a 1 px shift (within the tolerance)', () => {
    const a = disc(320, 240, 100);
    expect(boundaryF(a, a.slice(), W, H)).toBe(1);
    expect(boundaryF(rect(201, 150, 401, 350), rect(200, 150, 400, 350), W, H)).toBe(1);
    expect(boundaryF(disc(321, 241, 100), a, W, H)).toBe(1);
  });

  it('drops well below 1 for a shift beyond the tolerance while IoU stays high', () => {
    const truth = disc(320, 240, 100);
    const pred = disc(340, 240, 100); // 20 px > 6 px
    const f = boundaryF(pred, truth, W, H);
    expect(f).toBeLessThan(0.6);
    expect(f).toBeGreaterThan(0);
    expect(iou(pred, truth)).toBeGreaterThan(0.75);
    // a square shifted by 20 px: only the top and bottom edges (minus 20 px) match
    const fr = boundaryF(rect(220, 150, 420, 350), rect(200, 150, 400, 350), W, H);
    // 796 boundary pixels each; matched: 2 × 186 on the top/bottom rows + 2 × 6 at the corners
    expect(fr).toBeCloseTo(384 / 796, 12);
    // an explicit tolerance larger than the shift accepts it
    expect(boundaryF(pred, truth, W, H, 20)).toBe(1);
  });

  it('ignores the frame edge and handles empty masks', () => {
    // full-width band: its only boundaries are the top and bottom rows
    expect(boundaryF(rect(0, 100, W, 200), rect(0, 103, W, 203), W, H)).toBe(1);
    const empty = new Uint8Array(W * H);
    expect(boundaryF(empty, empty, W, H)).toBe(1);
    expect(boundaryF(empty, disc(320, 240, 50), W, H)).toBe(0);
    expect(boundaryF(disc(320, 240, 50), empty, W, H)).toBe(0);
  });
});

describe('maskChangeFraction and centroidX', () => {
  it('counts pixels whose binary value differs', () => {
    const a = new Uint8Array(100),
      b = new Uint8Array(100);
    a.fill(255, 0, 10); // 10 set
    b.fill(200, 3, 10);
    b[50] = 130;
    b[60] = 127; // 3 cleared, 1 added, 127 = off
    expect(maskChangeFraction(a, b)).toBeCloseTo(0.04, 12);
    expect(maskChangeFraction(a, a)).toBe(0);
  });

  it('is the alpha-weighted mean x', () => {
    const m = new Uint8Array(10 * 2);
    m[2] = 255;
    m[10 + 8] = 85; // weights 3 : 1
    expect(centroidX(m, 10, 2)).toBeCloseTo((3 * 2 + 1 * 8) / 4, 12);
    expect(centroidX(rect(100, 0, 200, 10), W, H)).toBeCloseTo(149.5, 9);
    expect(centroidX(new Uint8Array(4), 2, 2)).toBeNaN();
  });
});

describe('reference composites (RVM cut-outs pasted on people-free photos)', () => {
  it('has an exact, non-trivial mask; the background is untouched where alpha is 0', async () => {
    const pair = REFERENCE_SET[0];
    const { width: w, height: h } = pair;
    const cut = await cutPerson(pair.person, w, h);
    const bg = await loadRgb(`${PHOTOS}/${pair.background}`, w, h);
    const c = compositeOnto(cut, bg);
    expect(c.width).toBe(w);
    expect(c.height).toBe(h);
    expect(Buffer.compare(c.mask, cut.alpha)).toBe(0); // (toEqual on 300k elements is slow)

    let covered = 0,
      changedOutside = 0,
      changedInside = 0;
    for (let i = 0; i < w * h; i++) {
      if (c.mask[i] >= 128) covered++;
      const same =
        c.rgb[3 * i] === bg.rgb[3 * i] &&
        c.rgb[3 * i + 1] === bg.rgb[3 * i + 1] &&
        c.rgb[3 * i + 2] === bg.rgb[3 * i + 2];
      if (c.mask[i] === 0 && !same) changedOutside++;
      if (c.mask[i] >= 128 && !same) changedInside++;
    }
    const coverage = covered / (w * h);
    expect(coverage).toBeGreaterThan(0.1);
    expect(coverage).toBeLessThan(0.7);
    expect(changedOutside).toBe(0);
    expect(changedInside / covered).toBeGreaterThan(0.9);

    // fully opaque pixels are the cut-out's colours
    for (let i = 0; i < w * h; i++) {
      if (cut.alpha[i] === 255) {
        expect(c.rgb[3 * i + 1]).toBe(cut.fgr[3 * i + 1]);
        break;
      }
    }

    // a shift moves the mask with the person; off-frame parts are lost, uncovered parts are background
    const dx = 40,
      dy = -10;
    const s = compositeOnto(cut, bg, dx, dy);
    expect(centroidX(s.mask, w, h)).toBeGreaterThan(centroidX(c.mask, w, h) + dx - 2);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < dx; x++) {
        const i = y * w + x;
        if (s.mask[i] !== 0 || s.rgb[3 * i] !== bg.rgb[3 * i])
          throw new Error(`uncovered strip not background at ${x},${y}`);
      }
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const sx = x - dx,
          sy = y - dy;
        const want = sx >= 0 && sx < w && sy >= 0 && sy < h ? cut.alpha[sy * w + sx] : 0;
        if (s.mask[y * w + x] !== want) throw new Error(`shifted mask wrong at ${x},${y}`);
      }
    expect(iou(s.mask, c.mask)).toBeLessThan(0.9);
    expect(boundaryF(s.mask, c.mask, w, h)).toBeLessThan(0.5);

    const yuv = toI420(c.rgb, w, h);
    expect(yuv.data.length).toBe((w * h * 3) / 2);
  }, 120_000);
});
