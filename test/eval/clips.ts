// The evaluation's clips: synthetic ones made from photos (a pan, a zoom, a pasted moving
// person), whose flow and speaker mask are known exactly, and real clips decoded with ffmpeg,
// whose flow is estimated (flow.ts, pyramidal Lucas–Kanade) and whose masks come from the
// product's segmenter (SpeakerMask with guided enhancement; bilinear for the ablation).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { WasmKernels } from '../../server/src/engine/frame/wasm_kernels.js';
import { downscaleMask, lowResSize } from '../../server/src/engine/image/downscale.js';
import { rgbToI420 } from '../../server/src/engine/image/frame_convert.js';
import { i420Planes, i420Size, type I420Frame } from '../../server/src/engine/image/i420.js';
import { bilinearUpsample } from '../../server/src/engine/segmentation/guided_upsample.js';
import { Segmenter } from '../../server/src/engine/segmentation/segmenter.js';
import { SpeakerMask } from '../../server/src/engine/segmentation/speaker_mask.js';
import { OnnxRuntime } from '../../server/src/engine/runtime/onnx_session.js';
import { loadRgb, SHARED, type RgbImage } from '../support/media.js';
import { compositeOnto, cutPerson, REFERENCE_SET, type ReferencePair } from '../support/seg_fixtures.js';
import { constantFlow, estimateFlow, inFrame, type Flow } from './flow.js';

export interface EvalClip {
  id: string;
  kind: 'synthetic' | 'real';
  note: string;
  width: number;
  height: number;
  fps: number;
  frames: I420Frame[];
  /** the reference speaker mask per frame (0..255): exact, or the segmenter's; null: whole frame */
  masks: Uint8Array[] | null;
  /** the mask without enhancement (ablation): exact mask at 256 px, bilinear up; or the segmenter's bilinear mask */
  plainMasks: Uint8Array[] | null;
  /**
   * the mask as the product serves it with the model off the frame path (when the model is
   * slower than its budget; a frame gets the mask of the model's last finished run, started by
   * an earlier frame): the segmenter's, one run late, enhanced against the frame's own edges.
   * `masks` is the mask awaited by each frame (the default: the halo reference). Real clips
   * only: the synthetic ones have exact masks, which the product never has (their exact mask
   * one frame late, with no re-alignment to the frame's edges, gave 12-16 px halos: a bound,
   * not the product)
   */
  laggedMasks: Uint8Array[] | null;
  maskKind: 'none' | 'exact' | 'segmenter';
  /** flows[t], valid[t] (t ≥ 1) map frame t into t−1; index 0 is unused */
  flows: Flow[];
  valid: Uint8Array[];
  flowKind: 'exact' | 'lucas-kanade';
}

/** Where the inputs are: a folder with clips/, photos/, styles/ (the shared media by default). */
export interface MediaSet {
  dir: string;
  clips: string[];
  photos: string[];
  styles: string[];
  shared: boolean;
}

const IMAGE = /\.(jpe?g|png|webp)$/i,
  VIDEO = /\.(mkv|mp4|avi|webm|mov|y4m)$/i;
function list(dir: string, re: RegExp): string[] {
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => re.test(f))
        .sort()
        .map((f) => join(dir, f))
    : [];
}

export function mediaSet(dir?: string): MediaSet {
  const root = dir ?? join(SHARED, 'media');
  return {
    dir: root,
    clips: list(join(root, 'clips'), VIDEO),
    photos: list(join(root, 'photos'), IMAGE),
    styles: list(join(root, 'styles'), IMAGE),
    shared: !dir,
  };
}

/** Frame size for the evaluation: long side ≤ longSide, both sides multiples of 8. */
export function evalSize(w: number, h: number, longSide: number): { width: number; height: number } {
  const s = Math.min(1, longSide / Math.max(w, h));
  return { width: Math.max(16, Math.round((w * s) / 8) * 8), height: Math.max(16, Math.round((h * s) / 8) * 8) };
}

const even = (x: number) => 2 * Math.round(x / 2);

/** The exact mask degraded as a mask without enhancement would be: area-down to 256 px, bilinear up. */
export function degradeMask(mask: Uint8Array, w: number, h: number): Uint8Array {
  const s = lowResSize(w, h, 256, 1);
  const low = downscaleMask(mask, w, h, s.width, s.height);
  const f = Float32Array.from(low, (v) => v / 255),
    out = new Uint8Array(w * h);
  bilinearUpsample(f, s.width, s.height, w, h, out);
  return out;
}

function bilinearRgb(img: RgbImage, x: number, y: number, out: Uint8Array, o: number): void {
  const { width: w, height: h, rgb } = img;
  x = Math.max(0, Math.min(w - 1, x));
  y = Math.max(0, Math.min(h - 1, y));
  const x0 = Math.floor(x),
    y0 = Math.floor(y),
    x1 = Math.min(w - 1, x0 + 1),
    y1 = Math.min(h - 1, y0 + 1),
    fx = x - x0,
    fy = y - y0;
  for (let c = 0; c < 3; c++) {
    const a = rgb[3 * (y0 * w + x0) + c] + fx * (rgb[3 * (y0 * w + x1) + c] - rgb[3 * (y0 * w + x0) + c]);
    const b = rgb[3 * (y1 * w + x0) + c] + fx * (rgb[3 * (y1 * w + x1) + c] - rgb[3 * (y1 * w + x0) + c]);
    out[o + c] = Math.round(a + fy * (b - a));
  }
}

/** A pan across a photo: 4 px right and 2 px down per frame (even: exact in I420 chroma too). Flow (4, 2). */
export async function panClip(photo: string, W: number, H: number, T: number): Promise<EvalClip> {
  const sx = 4,
    sy = 2;
  const big = await loadRgb(photo, W + sx * T, H + sy * T);
  const frames: I420Frame[] = [];
  for (let t = 0; t < T; t++) {
    const rgb = new Uint8Array(W * H * 3);
    for (let y = 0; y < H; y++)
      rgb.set(
        big.rgb.subarray(3 * ((y + sy * t) * big.width + sx * t), 3 * ((y + sy * t) * big.width + sx * t + W)),
        3 * y * W,
      );
    frames.push(rgbToI420(rgb, W, H));
  }
  const flows = frames.map(() => constantFlow(W, H, sx, sy));
  return {
    id: `pan_${basename(photo, extname(photo))}`,
    kind: 'synthetic',
    note: `pan ${sx},${sy} px/frame over ${basename(photo)}; exact flow; one region`,
    width: W,
    height: H,
    fps: 30,
    frames,
    masks: null,
    plainMasks: null,
    laggedMasks: null,
    maskKind: 'none',
    flows,
    valid: flows.map((f) => inFrame(f)),
    flowKind: 'exact',
  };
}

/**
 * A zoom into a photo's centre, 1× to 1.4× over the clip (bilinear resampling of a 1.5× source).
 * Exact flow: x' = c + (x − c)·z_{t−1}/z_t about the frame centre c.
 */
export async function zoomClip(photo: string, W: number, H: number, T: number): Promise<EvalClip> {
  const S = 1.5,
    big = await loadRgb(photo, Math.round(W * S), Math.round(H * S));
  const z = (t: number) => 1.4 ** (t / Math.max(1, T - 1));
  const cx = (W - 1) / 2,
    cy = (H - 1) / 2,
    Cx = (big.width - 1) / 2,
    Cy = (big.height - 1) / 2;
  const frames: I420Frame[] = [],
    flows: Flow[] = [];
  for (let t = 0; t < T; t++) {
    const k = S / z(t),
      rgb = new Uint8Array(W * H * 3);
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) bilinearRgb(big, Cx + (x - cx) * k, Cy + (y - cy) * k, rgb, 3 * (y * W + x));
    frames.push(rgbToI420(rgb, W, H));
    const r = t ? z(t - 1) / z(t) : 1,
      f = constantFlow(W, H, 0, 0);
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        f.u[y * W + x] = (x - cx) * (r - 1);
        f.v[y * W + x] = (y - cy) * (r - 1);
      }
    flows.push(f);
  }
  return {
    id: `zoom_${basename(photo, extname(photo))}`,
    kind: 'synthetic',
    note: `zoom 1×→1.4× into ${basename(photo)}; exact flow; one region`,
    width: W,
    height: H,
    fps: 30,
    frames,
    masks: null,
    plainMasks: null,
    laggedMasks: null,
    maskKind: 'none',
    flows,
    valid: flows.map((f) => inFrame(f)),
    flowKind: 'exact',
  };
}

/**
 * A person (seg_fixtures' RVM cut-out) pasted over a still background and moved sideways
 * (even offsets, ±10 % of the width, one period per clip) with a small vertical bob; mask =
 * the pasted alpha (exact). Exact flow: the person's shift inside the solid person (alpha ≥ 250
 * in both frames), 0 on solid background (alpha ≤ 5 in both); edge pixels and uncovered
 * background are invalid (occluded).
 */
export async function personClip(pair: ReferencePair, T: number, background?: string): Promise<EvalClip> {
  const { width: w, height: h } = pair;
  const cut = await cutPerson(pair.person, w, h);
  const bgPath = background ?? join(SHARED, 'media', 'photos', pair.background);
  const bg = await loadRgb(bgPath, w, h);
  const H = Math.floor(h / 8) * 8,
    W = Math.floor(w / 8) * 8,
    oy = (h - H) >> 1,
    ox = (w - W) >> 1;
  const off = Array.from({ length: T }, (_, t) => [
    even(0.1 * w * Math.sin((2 * Math.PI * t) / T)),
    even(3 * Math.sin((4 * Math.PI * t) / T)),
  ]);
  const frames: I420Frame[] = [],
    masks: Uint8Array[] = [];
  for (let t = 0; t < T; t++) {
    const c = compositeOnto(cut, bg, off[t][0], off[t][1]);
    const rgb = new Uint8Array(W * H * 3),
      m = new Uint8Array(W * H);
    for (let y = 0; y < H; y++) {
      rgb.set(c.rgb.subarray(3 * ((y + oy) * w + ox), 3 * ((y + oy) * w + ox + W)), 3 * y * W);
      m.set(c.mask.subarray((y + oy) * w + ox, (y + oy) * w + ox + W), y * W);
    }
    frames.push(rgbToI420(rgb, W, H));
    masks.push(m);
  }
  const flows: Flow[] = [],
    valid: Uint8Array[] = [];
  for (let t = 0; t < T; t++) {
    const f = constantFlow(W, H, 0, 0),
      v = new Uint8Array(W * H);
    if (t > 0) {
      const du = off[t - 1][0] - off[t][0],
        dv = off[t - 1][1] - off[t][1];
      for (let y = 0; y < H; y++)
        for (let x = 0; x < W; x++) {
          const i = y * W + x,
            a = masks[t][i];
          if (a >= 250) {
            f.u[i] = du;
            f.v[i] = dv;
            const sx = x + du,
              sy = y + dv;
            v[i] = sx >= 0 && sx < W && sy >= 0 && sy < H && masks[t - 1][sy * W + sx] >= 250 ? 1 : 0;
          } else if (a <= 5) v[i] = masks[t - 1][i] <= 5 ? 1 : 0;
        }
    }
    flows.push(f);
    valid.push(v);
  }
  return {
    id: `person_${pair.id}${background ? `_${basename(background, extname(background))}` : ''}`,
    kind: 'synthetic',
    note: `${basename(pair.person)} pasted over ${basename(bgPath)}, moving ±${Math.round(0.1 * w)} px; exact mask and flow`,
    width: W,
    height: H,
    fps: 30,
    frames,
    masks,
    plainMasks: masks.map((m) => degradeMask(m, W, H)),
    laggedMasks: null,
    maskKind: 'exact',
    flows,
    valid,
    flowKind: 'exact',
  };
}

function probe(path: string): { width: number; height: number; fps: number } {
  const out = execFileSync('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=width,height,r_frame_rate',
    '-of',
    'csv=p=0',
    path,
  ])
    .toString()
    .trim();
  const [w, h, r] = out.split('\n')[0].split(',');
  const [num, den] = r.split('/').map(Number);
  return { width: Number(w), height: Number(h), fps: den ? num / den : num || 30 };
}

/** The first T frames of a video as I420 at width × height (ffmpeg, bicubic scale). */
export function decodeClip(path: string, width: number, height: number, T: number): I420Frame[] {
  const size = i420Size(width, height);
  const buf = execFileSync(
    'ffmpeg',
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-i',
      path,
      '-frames:v',
      String(T),
      '-vf',
      `scale=${width}:${height},format=yuv420p`,
      '-f',
      'rawvideo',
      '-pix_fmt',
      'yuv420p',
      'pipe:1',
    ],
    { maxBuffer: size * T + (1 << 20) },
  );
  const frames: I420Frame[] = [];
  for (let k = 0; k + size <= buf.length && k / size < T; k += size)
    frames.push({ width, height, data: new Uint8Array(buf.subarray(k, k + size)) });
  return frames;
}

let segmenter: Promise<Segmenter> | null = null;

/**
 * The speaker masks for a clip: guided enhancement with every model run awaited by its frame
 * (the product's default while the model fits its budget; the halo reference), bilinear
 * (ablation), and `lagged`: the model beside the frame path, a frame served the last finished
 * run's mask, each run finished before the next frame as the ~3 ms model does within a
 * camera's 33 ms (what a machine too slow for the budget gets).
 */
async function segmenterMasks(
  frames: I420Frame[],
  fps: number,
): Promise<{ guided: Uint8Array[]; bilinear: Uint8Array[]; lagged: Uint8Array[] }> {
  segmenter ??= Segmenter.create(new OnnxRuntime({ provider: 'cpu', threads: 1 }));
  const seg = await segmenter;
  const out = { guided: [] as Uint8Array[], bilinear: [] as Uint8Array[], lagged: [] as Uint8Array[] };
  // the engine thread's full-resolution pass (WebAssembly), as the server runs it
  const kernels = new WasmKernels();
  for (const kind of ['guided', 'bilinear', 'lagged'] as const) {
    const lagged = kind === 'lagged';
    const sm = new SpeakerMask(
      seg.stream(kernels),
      // lagged: every run beside the frame path (as on a machine where the model is slower than
      // its budget); the others await every run (the product's default while the model fits)
      lagged ? { budgetMs: 0 } : { budgetMs: Infinity, enhancement: kind === 'bilinear' ? 'bilinear' : 'guided' },
      kernels,
    );
    for (let t = 0; t < frames.length; t++) {
      if (lagged) await sm.idle();
      out[kind].push((await sm.update(frames[t], (t * 1000) / fps)).plane.slice());
    }
    sm.close();
  }
  return out;
}

/** A real clip: decoded, segmented, with Lucas–Kanade flow and forward–backward occlusion masks. */
export async function realClip(path: string, T: number, longSide: number): Promise<EvalClip> {
  const p = probe(path),
    { width: W, height: H } = evalSize(p.width, p.height, longSide);
  const frames = decodeClip(path, W, H, T);
  const { guided, bilinear, lagged } = await segmenterMasks(frames, p.fps);
  const flows: Flow[] = [constantFlow(W, H, 0, 0)],
    valid: Uint8Array[] = [new Uint8Array(W * H)];
  for (let t = 1; t < frames.length; t++) {
    const e = estimateFlow(i420Planes(frames[t - 1]).y, i420Planes(frames[t]).y, W, H);
    flows.push(e.flow);
    valid.push(e.valid);
  }
  return {
    id: `real_${basename(path, extname(path))}`,
    kind: 'real',
    note: `${basename(path)} (${p.width}×${p.height} @ ${Math.round(p.fps)} fps), first ${frames.length} frames; LK flow; segmenter masks`,
    width: W,
    height: H,
    fps: p.fps,
    frames,
    masks: guided,
    plainMasks: bilinear,
    laggedMasks: lagged,
    maskKind: 'segmenter',
    flows,
    valid,
    flowKind: 'lucas-kanade',
  };
}

export interface ClipPlan {
  frames: number;
  longSide: number;
  quick: boolean;
}

/** The clips of one run: synthetic ones from the media's photos, then its real clips. */
export async function loadClips(media: MediaSet, plan: ClipPlan): Promise<EvalClip[]> {
  const T = plan.frames,
    clips: EvalClip[] = [];
  const pair = (id: string) => REFERENCE_SET.find((p) => p.id === id)!;
  const sized = (w: number, h: number) => evalSize(w, h, plan.longSide);
  const photo = (name: string, k: number) =>
    media.shared ? join(media.dir, 'photos', name) : media.photos[k % media.photos.length];
  const canPhotos = media.shared || media.photos.length > 0;
  const s = sized(640, 360);
  // a person cut from the shared reference photos; over the custom folder's first photo when one is given
  const personBg = media.shared ? undefined : media.photos[0];
  if (plan.quick) {
    if (canPhotos) clips.push(await personClip(pair('headpose_valletta'), T, personBg));
  } else {
    if (canPhotos) {
      clips.push(await panClip(photo('kde_path.jpg', 0), s.width, s.height, T));
      clips.push(await zoomClip(photo('kde_bythewater.jpg', 1), s.width, s.height, T));
      clips.push(await personClip(pair('headpose_valletta'), T, personBg));
      clips.push(await personClip(pair('asl_bythewater'), T, personBg && media.photos[1 % media.photos.length]));
    }
  }
  const real = media.shared
    ? ['iot_headpose_male.mp4', 'iot_asl_again.mkv'].map((f) => join(media.dir, 'clips', f)).filter(existsSync)
    : media.clips;
  for (const path of real.slice(0, plan.quick ? 1 : 2)) clips.push(await realClip(path, T, plan.longSide));
  return clips;
}
