// The eval's LUT baseline: the global tier's affine baked into a 33³ LUT is the same map as the
// affine itself, and ffmpeg's lut3d applies its .cube file the same way the JS lookup does.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { rgbToYuv, yuvToRgb } from '../../server/src/engine/image/color.js';
import { IDENTITY_AFFINE } from '../../server/src/engine/image/grid.js';
import { affineLut, applyLut, cubeText } from './baselines.js';

const dir = mkdtempSync(join(tmpdir(), 'restyle-lut-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// a strong warm grade: luma gain 1.2, U pulled down, V pushed up, with a cross term
const AFFINE = [1.2, 0, 0, -10, 0.05, 0.7, 0, -12, 0, 0.1, 0.9, 15];

/** 64×64 RGB test card: hue/luma ramps and a few saturated patches. */
function card(): Uint8Array {
  const W = 64,
    rgb = new Uint8Array(W * W * 3);
  for (let y = 0; y < W; y++)
    for (let x = 0; x < W; x++) {
      const i = 3 * (y * W + x);
      rgb[i] = (x * 4 + y) & 255;
      rgb[i + 1] = (y * 4 + 30) & 255;
      rgb[i + 2] = ((x ^ y) * 4) & 255;
    }
  return rgb;
}

function direct(rgb: Uint8Array): Float32Array {
  const out = new Float32Array(rgb.length),
    yuv = [0, 0, 0],
    o = [0, 0, 0];
  for (let i = 0; i < rgb.length; i += 3) {
    rgbToYuv(rgb[i], rgb[i + 1], rgb[i + 2], yuv);
    const m = [0, 1, 2].map(
      (k) => AFFINE[4 * k] * yuv[0] + AFFINE[4 * k + 1] * yuv[1] + AFFINE[4 * k + 2] * yuv[2] + AFFINE[4 * k + 3],
    );
    yuvToRgb(m[0], m[1], m[2], o);
    for (let c = 0; c < 3; c++) out[i + c] = Math.max(0, Math.min(255, o[c]));
  }
  return out;
}

it('the baked LUT applies the global affine (trilinear error within a few code values)', () => {
  const rgb = card(),
    want = direct(rgb),
    got = new Float32Array(rgb.length);
  applyLut(affineLut(AFFINE), rgb, got);
  let worst = 0,
    sum = 0;
  for (let i = 0; i < rgb.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    worst = Math.max(worst, d);
    sum += d;
  }
  // an affine map is linear inside every lattice cell except where clamping bends it
  expect(sum / rgb.length).toBeLessThan(0.5);
  expect(worst).toBeLessThan(12);
  // identity stays identity
  const id = new Float32Array(rgb.length);
  applyLut(affineLut(IDENTITY_AFFINE), rgb, id);
  for (let i = 0; i < rgb.length; i++) expect(Math.abs(id[i] - rgb[i])).toBeLessThan(1.5);
});

it("ffmpeg's lut3d with the .cube file gives the JS lookup's colours", () => {
  const rgb = card(),
    lut = affineLut(AFFINE);
  const text = cubeText(lut, 'test');
  expect(text.trim().split('\n')).toHaveLength(33 ** 3 + 2);
  writeFileSync(join(dir, 'look.cube'), text);
  writeFileSync(join(dir, 'in.rgb'), rgb);
  const raw = ['-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', '64x64'];
  const r = spawnSync(
    'ffmpeg',
    [
      '-v',
      'error',
      '-y',
      ...raw,
      '-i',
      join(dir, 'in.rgb'),
      '-vf',
      `lut3d=file=${join(dir, 'look.cube')}:interp=trilinear`,
      ...raw,
      join(dir, 'out.rgb'),
    ],
    { encoding: 'utf8' },
  );
  expect(r.status, r.stderr).toBe(0);
  const ff = readFileSync(join(dir, 'out.rgb')),
    js = new Float32Array(rgb.length);
  applyLut(lut, rgb, js);
  let worst = 0;
  for (let i = 0; i < rgb.length; i++) worst = Math.max(worst, Math.abs(ff[i] - js[i]));
  expect(worst).toBeLessThanOrEqual(1.5);
});
