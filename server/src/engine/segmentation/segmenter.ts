// Speaker segmentation with the MediaPipe Selfie model (Apache-2.0, models/selfie_segmentation.onnx),
// run as models/selfie_segmentation_flex.onnx: the same weights with the input's height and
// width free (models/segmentation/flex_selfie.py), so a 16:9 frame runs at 256x144 and a 4:3
// one at 256x192 instead of inside a 256x256 square (the model at 256x144 takes about half
// the time). One shared InferenceSession per thread (its OnnxRuntime), and one
// SegmenterStream per session that owns its input and output buffers (allocated when the
// frame size changes, not per frame). The frame is scaled to a long side of 256 (aspect
// kept, not stretched), the short side padded with grey bars to a multiple of 16, and the
// mask is cropped back out.
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { Downscaler, type DownscaleKernel, type LowRes } from '../image/downscale.js';
import type { I420Frame } from '../image/i420.js';
import { ort, type OnnxRuntime } from '../runtime/onnx_session.js';

export const SELFIE_MODEL = 'selfie_segmentation_flex.onnx';
const SIZE = 256;
const INPUT = 'input_1:0';
const OUTPUT = 'activation_10';

export interface MaskImage {
  width: number;
  height: number;
  /** person probability 0..255 per pixel */
  data: Uint8Array;
}

/** The model input for a width x height frame (inW x inH) and where the frame sits in it. */
export interface ModelBox {
  inW: number;
  inH: number;
  w: number;
  h: number;
  x0: number;
  y0: number;
}

/** Long side 256, the short side padded to a multiple of 16 (every feature map stays even). */
export function letterbox(width: number, height: number, size = SIZE): ModelBox {
  const s = size / Math.max(width, height);
  const w = Math.max(1, Math.round(width * s)),
    h = Math.max(1, Math.round(height * s));
  const inW = Math.ceil(w / 16) * 16,
    inH = Math.ceil(h / 16) * 16;
  return { inW, inH, w, h, x0: (inW - w) >> 1, y0: (inH - h) >> 1 };
}

export class Segmenter {
  private constructor(
    private readonly onnx: OnnxRuntime,
    private readonly session: InferenceSession,
  ) {}

  /**
   * Loads the model and runs it once at the 16:9, 4:3 and square input sizes, so that no
   * session pays for a first run's warm-up.
   */
  static async create(onnx: OnnxRuntime): Promise<Segmenter> {
    const session = await onnx.session(SELFIE_MODEL);
    for (const h of [144, 192, SIZE])
      await onnx.run(
        session,
        { [INPUT]: new ort.Tensor('float32', new Float32Array(h * SIZE * 3).fill(0.5), [1, h, SIZE, 3]) },
        [OUTPUT],
      );
    return new Segmenter(onnx, session);
  }

  /** `kernel`: the engine thread's WebAssembly downscale (else plain JS) */
  stream(kernel?: DownscaleKernel): SegmenterStream {
    return new SegmenterStream(this.onnx, this.session, kernel);
  }
}

/** One stream's model input and output buffers (its temporal state is in SpeakerMask). */
export class SegmenterStream {
  private input = new Float32Array(0);
  private tensor: Tensor | undefined;
  private box: ModelBox | undefined;
  private readonly downscaler: Downscaler;
  private low: LowRes | undefined;
  private mask: MaskImage = { width: 0, height: 0, data: new Uint8Array(0) };

  constructor(
    private readonly onnx: OnnxRuntime,
    private readonly session: InferenceSession,
    kernel?: DownscaleKernel,
  ) {
    this.downscaler = new Downscaler(kernel);
  }

  /** The low-res frame the last mask was computed from (interleaved Y, U-128, V-128). */
  get lowRes(): LowRes | undefined {
    return this.low;
  }

  /** The speaker mask of `frame` at the letterboxed size (long side 256). */
  async segment(frame: I420Frame): Promise<MaskImage> {
    this.prepare(frame);
    return this.infer();
  }

  /**
   * Takes the model's input from `frame` now (its low-res image and the input tensor), so the
   * run can start later (infer), after the frame has been stylized in place.
   */
  prepare(frame: I420Frame): void {
    const box = letterbox(frame.width, frame.height);
    this.box = box;
    this.low = this.downscaler.i420(frame, box.w, box.h, this.low);
    const { inW, inH } = box;
    if (this.input.length !== inW * inH * 3 || !this.tensor) {
      this.input = new Float32Array(inW * inH * 3).fill(0.5);
      this.tensor = new ort.Tensor('float32', this.input, [1, inH, inW, 3]);
    }
    // BT.601 limited range to RGB 0..1, clamped (image/color.ts yuvToRgb, divided by 255);
    // the bars around the box stay grey (0.5) from the allocation
    const inp = this.input,
      yuv = this.low.yuv;
    for (let y = 0; y < box.h; y++) {
      let o = 3 * ((y + box.y0) * inW + box.x0);
      for (let i = y * box.w, end = i + box.w; i < end; i++, o += 3) {
        const c = (1.164383 / 255) * (yuv[3 * i] - 16),
          u = yuv[3 * i + 1],
          v = yuv[3 * i + 2];
        const r = c + (1.596027 / 255) * v,
          g = c - (0.391762 / 255) * u - (0.812968 / 255) * v,
          b = c + (2.017232 / 255) * u;
        inp[o] = r < 0 ? 0 : r > 1 ? 1 : r;
        inp[o + 1] = g < 0 ? 0 : g > 1 ? 1 : g;
        inp[o + 2] = b < 0 ? 0 : b > 1 ? 1 : b;
      }
    }
  }

  /** Runs the model on the input the last prepare() took. */
  async infer(): Promise<MaskImage> {
    const box = this.box;
    if (!box || !this.tensor) throw new Error('segmenter stream: infer() before prepare()');
    const inW = box.inW;
    const out = await this.onnx.run(this.session, { [INPUT]: this.tensor }, [OUTPUT]);
    const p = out[OUTPUT].data as Float32Array;
    if (this.mask.width !== box.w || this.mask.height !== box.h)
      this.mask = { width: box.w, height: box.h, data: new Uint8Array(box.w * box.h) };
    const m = this.mask.data;
    for (let y = 0; y < box.h; y++)
      for (let x = 0; x < box.w; x++) {
        const v = p[(y + box.y0) * inW + x + box.x0];
        m[y * box.w + x] = v <= 0 ? 0 : v >= 1 ? 255 : Math.round(v * 255);
      }
    return this.mask;
  }
}
