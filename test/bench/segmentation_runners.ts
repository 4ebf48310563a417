// The segmentation benchmark's model runners (segmentation_models.bench.ts): each drives one
// model on an I420 frame as the engine would and returns the full-resolution mask; RunTimer
// times the wrapped sessions' run() calls.
import { yuvToRgb } from '../../server/src/engine/image/color.js';
import { downscaleI420, type LowRes } from '../../server/src/engine/image/downscale.js';
import { i420Planes, type I420Frame } from '../../server/src/engine/image/i420.js';
import { ort } from '../../server/src/engine/runtime/onnx_session.js';
import { bilinearUpsample } from '../../server/src/engine/segmentation/guided_upsample.js';

type Session = ort.InferenceSession;

export const RVM_RATIO = 0.375;

/** ms of each session.run of the wrapped sessions since the last take() */
export class RunTimer {
  private times: number[] = [];
  private readonly wrapped = new Set<Session>();

  wrap(s: Session): Session {
    if (this.wrapped.has(s)) return s;
    this.wrapped.add(s);
    const orig = s.run.bind(s) as (...a: unknown[]) => Promise<ort.InferenceSession.OnnxValueMapType>;
    const times = () => this.times;
    (s as unknown as { run: (...a: unknown[]) => Promise<ort.InferenceSession.OnnxValueMapType> }).run = async (
      ...a: unknown[]
    ) => {
      const t0 = performance.now();
      const out = await orig(...a);
      times().push(performance.now() - t0);
      return out;
    };
    return s;
  }

  /** The run times since the last take(), and forgets them. */
  take(): number[] {
    const t = this.times;
    this.times = [];
    return t;
  }
}

/** Where a width × height frame sits inside a mw × mh model input (aspect kept, centred). */
function letterboxRect(
  width: number,
  height: number,
  mw: number,
  mh: number,
): { w: number; h: number; x0: number; y0: number } {
  const s = Math.min(mw / width, mh / height);
  const w = Math.max(1, Math.min(mw, Math.round(width * s))),
    h = Math.max(1, Math.min(mh, Math.round(height * s)));
  return { w, h, x0: (mw - w) >> 1, y0: (mh - h) >> 1 };
}

/** Per frame: returns the full-resolution mask (0..255; valid until the next call). */
export type FrameRunner = () => Promise<Uint8Array>;

export interface Candidate {
  name: string;
  licence: string;
  input: string;
  note: string;
  /** shippable under a permissive licence */
  permissive: boolean;
  /** scored against references cut by this model */
  favoured: boolean;
  /** calls on a frame before its mask is scored (RVM: recurrent steps) */
  qualityCalls: number;
  runner(frame: I420Frame): FrameRunner;
}

/**
 * A small-input model driven like the product's Segmenter: area downscale of the I420 frame
 * into the letterbox, BT.601 to RGB 0..1 (grey 0.5 bars), one run, the letterboxed region
 * cropped back out and upsampled bilinearly to the frame size.
 */
export function letterboxRunner(
  session: Session,
  mw: number,
  mh: number,
  layout: 'nhwc' | 'nchw',
  norm: (v01: number, c: number) => number,
  person: (out: Float32Array, i: number, n: number) => number,
): (frame: I420Frame) => FrameRunner {
  const inputName = session.inputNames[0],
    outputName = session.outputNames[0];
  const n = mw * mh;
  return (frame) => {
    const W = frame.width,
      H = frame.height;
    const box = letterboxRect(W, H, mw, mh);
    const input = new Float32Array(3 * n);
    const pad = [0, 1, 2].map((c) => norm(0.5, c));
    const crop = new Float32Array(box.w * box.h);
    const plane = new Uint8Array(W * H);
    const rgb = [0, 0, 0];
    let low: LowRes | undefined;
    return async () => {
      low = downscaleI420(frame, box.w, box.h, low);
      const yuv = low.yuv;
      for (let c = 0; c < 3; c++) {
        if (layout === 'nchw') input.fill(pad[c], c * n, (c + 1) * n);
        else for (let i = 0; i < n; i++) input[3 * i + c] = pad[c];
      }
      for (let y = 0; y < box.h; y++)
        for (let x = 0; x < box.w; x++) {
          const i = y * box.w + x;
          yuvToRgb(yuv[3 * i], yuv[3 * i + 1], yuv[3 * i + 2], rgb);
          const p = (y + box.y0) * mw + x + box.x0;
          for (let c = 0; c < 3; c++) {
            let v = rgb[c] / 255;
            v = v < 0 ? 0 : v > 1 ? 1 : v;
            input[layout === 'nchw' ? c * n + p : 3 * p + c] = norm(v, c);
          }
        }
      const shape = layout === 'nchw' ? [1, 3, mh, mw] : [1, mh, mw, 3];
      const out = await session.run({ [inputName]: new ort.Tensor('float32', input, shape) }, [outputName]);
      const o = out[outputName].data as Float32Array;
      for (let y = 0; y < box.h; y++)
        for (let x = 0; x < box.w; x++) {
          const v = person(o, (y + box.y0) * mw + x + box.x0, n);
          crop[y * box.w + x] = v < 0 ? 0 : v > 1 ? 1 : v;
        }
      bilinearUpsample(crop, box.w, box.h, W, H, plane);
      return plane;
    };
  };
}

/** RVM on the full-resolution frame (I420 → RGB 0..1, nearest chroma), its state fed back. */
export function rvmRunner(session: Session): (frame: I420Frame) => FrameRunner {
  return (frame) => {
    const W = frame.width,
      H = frame.height,
      n = W * H;
    const src = new Float32Array(3 * n);
    const plane = new Uint8Array(n);
    const ratio = new ort.Tensor('float32', Float32Array.of(RVM_RATIO), [1]);
    const zero = () => new ort.Tensor('float32', new Float32Array(1), [1, 1, 1, 1]);
    let state: Record<string, ort.Tensor> = { r1i: zero(), r2i: zero(), r3i: zero(), r4i: zero() };
    const rgb = [0, 0, 0];
    return async () => {
      const p = i420Planes(frame);
      for (let y = 0; y < H; y++) {
        const crow = (y >> 1) * p.chromaWidth;
        for (let x = 0; x < W; x++) {
          const i = y * W + x,
            ci = crow + (x >> 1);
          yuvToRgb(p.y[i], p.u[ci] - 128, p.v[ci] - 128, rgb);
          for (let c = 0; c < 3; c++) {
            const v = rgb[c] / 255;
            src[3 * i + c] = v < 0 ? 0 : v > 1 ? 1 : v;
          }
        }
      }
      const out = await session.run(
        { src: new ort.Tensor('float32', src, [1, H, W, 3]), downsample_ratio: ratio, ...state },
        ['pha', 'r1o', 'r2o', 'r3o', 'r4o'],
      );
      state = { r1i: out.r1o, r2i: out.r2o, r3i: out.r3o, r4i: out.r4o };
      const a = out.pha.data as Float32Array;
      for (let i = 0; i < n; i++) {
        const v = a[i];
        plane[i] = v <= 0 ? 0 : v >= 1 ? 255 : Math.round(v * 255);
      }
      return plane;
    };
  };
}
