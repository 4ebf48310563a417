// Exact reference masks for testing speaker (person) segmentation, built at test time.
//
// Procedure:
//   1. Cut the person out of a webcam-like photo with a slow, high-quality matting model:
//      Robust Video Matting (MobileNetV3, ../shared/models/segmentation/rvm_mobilenetv3_nhwc.onnx),
//      run on the CPU at downsample_ratio 1.0 (≤ 512 px) or 0.5, on the same frame four times
//      with its recurrent state fed back (a still clip: the state converges), keeping the last
//      foreground colours `fgr` and alpha `pha` (see cutPerson).
//   2. Paste that person (fgr × alpha) over a different photo that has no people in it,
//      optionally shifted: rgb = fgr·a + bg·(1 − a) (see compositeOnto).
//   3. The composite's true person mask is the alpha used to paste it — exact by construction,
//      whatever RVM got right or wrong in the source photo: anything RVM missed is simply not
//      in the composite, and anything it wrongly kept becomes part of the "person". (That is
//      why REFERENCE_SET keeps only photos whose cut was checked by eye to be person-only.)
//
// Licence: RVM is GPL-3.0. The model is read from ../shared by tests only; it is never copied
// into the repository, bundled or loaded by the server.
//
// Limitation: the person's silhouette, and its soft edge, are RVM's. When several models are
// compared against these references, RVM (and models trained like it) is favoured at the
// edges — hair, fingers, the alpha ramp — so use the references to compare one model with
// itself (regressions, temporal stability, smoothing) or for coarse metrics (IoU, boundary F
// at the DAVIS tolerance) rather than to rank RVM against others. Composites also have cleaner
// edges and lighting mismatches that real frames do not; they complement real-clip tests.
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, extname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { rgbToI420 } from '../../server/src/engine/image/frame_convert.js';
import type { I420Frame } from '../../server/src/engine/image/i420.js';
import { loadRgb, PHOTOS, ROOT, sharedPath, type RgbImage } from './media.js';

export interface Cutout {
  name: string;
  width: number;
  height: number;
  /** RVM foreground colours, interleaved RGB (meaningful where alpha > 0) */
  fgr: Uint8Array;
  /** RVM alpha, 0..255 */
  alpha: Uint8Array;
}

export interface Composite {
  rgb: Uint8Array;
  /** the exact person mask of `rgb`: the (shifted) alpha used to paste, 0..255 */
  mask: Uint8Array;
  width: number;
  height: number;
}

/** Recurrent steps on the same still frame (the state converges; the last output is kept). */
const RVM_ITERATIONS = 4;
const RVM_MODEL = ['models', 'segmentation', 'rvm_mobilenetv3_nhwc.onnx'] as const;
/** bump when the cut procedure changes, to invalidate the disk cache */
const CACHE_VERSION = 1;
export const FIXTURE_CACHE_DIR = join(ROOT, 'test-results', 'seg-fixtures');

/** RVM's guideline: 1.0 up to 512², smaller ratios for larger frames. */
export function rvmDownsampleRatio(width: number, height: number): number {
  return Math.max(width, height) <= 512 ? 1.0 : 0.5;
}

let rvmSession: Promise<ort.InferenceSession> | null = null;
function rvm(): Promise<ort.InferenceSession> {
  if (!rvmSession) {
    rvmSession = ort.InferenceSession.create(sharedPath(...RVM_MODEL), {
      executionProviders: ['cpu'],
      intraOpNumThreads: 2,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
    rvmSession.catch(() => {
      rvmSession = null;
    });
  }
  return rvmSession;
}

const memo = new Map<string, Promise<Cutout>>();

/** A photo in ../shared/media/photos by file name, or any path. */
function photoPath(photo: string): string {
  return photo.includes('/') ? photo : sharedPath('media', 'photos', photo);
}

/** Milliseconds RVM spent on each cutout computed in this process (not on cache hits), by name. */
export const rvmTimings = new Map<string, number>();

/**
 * Cuts the person out of `photo` (a file name in ../shared/media/photos, or a path), cover-
 * resized to width × height, with RVM. Cached in memory and on disk (test-results/seg-fixtures/,
 * keyed by the photo's and the model's size and mtime and the procedure's parameters).
 */
export function cutPerson(photo: string, width: number, height: number): Promise<Cutout> {
  const path = photoPath(photo);
  const st = statSync(path);
  const key = `${path}|${width}x${height}|${st.size}|${st.mtimeMs}`;
  let p = memo.get(key);
  if (!p) {
    p = cutPersonUncached(path, width, height, st);
    p.catch(() => memo.delete(key));
    memo.set(key, p);
  }
  return p;
}

async function cutPersonUncached(
  path: string,
  width: number,
  height: number,
  st: { size: number; mtimeMs: number },
): Promise<Cutout> {
  const name = `${basename(path, extname(path))}_${width}x${height}`;
  const ratio = rvmDownsampleRatio(width, height);
  const model = statSync(sharedPath(...RVM_MODEL));
  const hash = createHash('sha256')
    .update(JSON.stringify([CACHE_VERSION, st.size, st.mtimeMs, model.size, model.mtimeMs, ratio, RVM_ITERATIONS]))
    .digest('hex')
    .slice(0, 16);
  const n = width * height;
  const file = join(FIXTURE_CACHE_DIR, `${name}_${hash}.fgra`);
  if (existsSync(file)) {
    const buf = readFileSync(file);
    if (buf.length === 4 * n) {
      const data = new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
      return { name, width, height, fgr: data.subarray(0, 3 * n), alpha: data.subarray(3 * n) };
    }
  }

  const img = await loadRgb(path, width, height);
  const session = await rvm();
  const src = new Float32Array(3 * n);
  for (let i = 0; i < 3 * n; i++) src[i] = img.rgb[i] / 255;
  const zero = () => new ort.Tensor('float32', new Float32Array(1), [1, 1, 1, 1]);
  let state: Record<string, ort.Tensor> = { r1i: zero(), r2i: zero(), r3i: zero(), r4i: zero() };
  let fgr: ort.Tensor | undefined;
  let pha: ort.Tensor | undefined;
  const t0 = performance.now();
  for (let it = 0; it < RVM_ITERATIONS; it++) {
    const out = await session.run({
      src: new ort.Tensor('float32', src, [1, height, width, 3]),
      downsample_ratio: new ort.Tensor('float32', Float32Array.of(ratio), [1]),
      ...state,
    });
    fgr = out.fgr;
    pha = out.pha;
    state = { r1i: out.r1o, r2i: out.r2o, r3i: out.r3o, r4i: out.r4o };
  }
  rvmTimings.set(name, performance.now() - t0);

  const data = new Uint8Array(4 * n);
  const f = fgr!.data as Float32Array;
  const a = pha!.data as Float32Array;
  for (let i = 0; i < 3 * n; i++) data[i] = toByte(f[i]);
  for (let i = 0; i < n; i++) data[3 * n + i] = toByte(a[i]);

  mkdirSync(FIXTURE_CACHE_DIR, { recursive: true });
  for (const old of readdirSync(FIXTURE_CACHE_DIR)) {
    if (old.startsWith(`${name}_`) && old.endsWith('.fgra') && old !== basename(file)) {
      try {
        unlinkSync(join(FIXTURE_CACHE_DIR, old));
      } catch {
        /* another run removed it */
      }
    }
  }
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
  return { name, width, height, fgr: data.subarray(0, 3 * n), alpha: data.subarray(3 * n) };
}

function toByte(v: number): number {
  return v <= 0 ? 0 : v >= 1 ? 255 : Math.round(v * 255);
}

/**
 * Pastes the person, shifted by (dx, dy) pixels, over `bg` (same size): rgb = fgr·a + bg·(1 − a).
 * Pixels shifted off the frame are lost; uncovered parts are background. Returns the composite
 * and its exact mask (the shifted alpha). Where the mask is 0 the composite equals `bg` exactly.
 */
export function compositeOnto(cut: Cutout, bg: RgbImage, dx = 0, dy = 0): Composite {
  const { width: w, height: h } = cut;
  if (bg.width !== w || bg.height !== h) throw new Error(`background is ${bg.width}x${bg.height}, cutout ${w}x${h}`);
  dx = Math.round(dx);
  dy = Math.round(dy);
  const rgb = new Uint8Array(bg.rgb.subarray(0, 3 * w * h));
  const mask = new Uint8Array(w * h);
  for (let y = Math.max(0, dy); y < Math.min(h, h + dy); y++) {
    for (let x = Math.max(0, dx); x < Math.min(w, w + dx); x++) {
      const s = (y - dy) * w + (x - dx);
      const a = cut.alpha[s];
      if (a === 0) continue;
      const d = y * w + x;
      mask[d] = a;
      for (let c = 0; c < 3; c++) {
        rgb[3 * d + c] = Math.round((cut.fgr[3 * s + c] * a + rgb[3 * d + c] * (255 - a)) / 255);
      }
    }
  }
  return { rgb, mask, width: w, height: h };
}

export interface ReferencePair {
  /** short id, e.g. "asl_bythewater" */
  id: string;
  /** person photo in ../shared/media/photos */
  person: string;
  /** background photo (no people) in ../shared/media/photos, cover-resized to the same size */
  background: string;
  width: number;
  height: number;
  note: string;
}

/**
 * Person photos × people-free backgrounds, 8 pairs. Person photos, each at its native size
 * (all even, so the person photo is not resampled) and each checked by eye — RVM's alpha
 * covers the person and nothing else, with no holes (single-pixel specks at most) — and
 * checked to converge (after 4 steps < 10 pixels change side of 0.5 per further step):
 *   - iot_asl_again_f30.jpg (640×480 @0.5, webcam frame, upper body, hands in front of the
 *     chest, cut off by the bottom edge; person ≈ 26 % of the frame) — free (CC BY 4.0)
 *   - iot_headpose_male_f20.jpg (480×270 @1.0, webcam head-and-shoulders; ≈ 25 %) — free
 *   - dps_in11.jpg (530×700 @0.5, portrait close-up, hair edge; ≈ 76 %: fills the frame,
 *     cut off by three edges) — academic (tests only)
 * Dropped: skimage_astronaut.jpg — RVM's alpha takes in half of the helmet she holds as a
 * smeared, semi-transparent blob, drops a patch of her suit (the flag patch) and does not
 * converge (thousands of pixels still flip per step after 8 steps).
 * Backgrounds: kde_bythewater, kde_path (free, LGPL-3.0), dps_in1 (Valletta skyline),
 * dps_in3 (San Francisco towers) (academic), each used twice. dps_in10 (Times Square) is left
 * out: it has pedestrians and a large billboard face, which the reference would call
 * background while a person segmenter is right to see people there.
 */
export const REFERENCE_SET: readonly ReferencePair[] = [
  {
    id: 'asl_bythewater',
    person: 'iot_asl_again_f30.jpg',
    background: 'kde_bythewater.jpg',
    width: 640,
    height: 480,
    note: 'webcam upper body, hands; lake and pier, bright horizon',
  },
  {
    id: 'asl_city',
    person: 'iot_asl_again_f30.jpg',
    background: 'dps_in3.jpg',
    width: 640,
    height: 480,
    note: 'webcam upper body over busy lit towers',
  },
  {
    id: 'asl_path',
    person: 'iot_asl_again_f30.jpg',
    background: 'kde_path.jpg',
    width: 640,
    height: 480,
    note: 'dark hoodie on dark forest: low contrast',
  },
  {
    id: 'headpose_path',
    person: 'iot_headpose_male_f20.jpg',
    background: 'kde_path.jpg',
    width: 480,
    height: 270,
    note: 'small webcam frame; dark shirt on dark forest',
  },
  {
    id: 'headpose_valletta',
    person: 'iot_headpose_male_f20.jpg',
    background: 'dps_in1.jpg',
    width: 480,
    height: 270,
    note: 'small webcam frame; warm skyline and sea',
  },
  {
    id: 'headpose_city',
    person: 'iot_headpose_male_f20.jpg',
    background: 'dps_in3.jpg',
    width: 480,
    height: 270,
    note: 'small webcam frame; busy towers',
  },
  {
    id: 'portrait_bythewater',
    person: 'dps_in11.jpg',
    background: 'kde_bythewater.jpg',
    width: 530,
    height: 700,
    note: 'portrait close-up, hair over sky and water',
  },
  {
    id: 'portrait_valletta',
    person: 'dps_in11.jpg',
    background: 'dps_in1.jpg',
    width: 530,
    height: 700,
    note: 'portrait close-up; warm background like the skin',
  },
];

/** Builds a reference pair's composite (person shifted by dx, dy) and its exact mask. */
export async function referenceComposite(pair: ReferencePair, dx = 0, dy = 0): Promise<Composite> {
  const [cut, bg] = await Promise.all([
    cutPerson(pair.person, pair.width, pair.height),
    loadRgb(join(PHOTOS, pair.background), pair.width, pair.height),
  ]);
  return compositeOnto(cut, bg, dx, dy);
}

export function toI420(rgb: Uint8Array, width: number, height: number): I420Frame {
  return rgbToI420(rgb, width, height);
}

// ---- metrics on 0..255 masks, binarised at 128 ----
