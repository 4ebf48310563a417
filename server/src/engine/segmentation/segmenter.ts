// Speaker segmentation with the MediaPipe Selfie model (Apache-2.0, models/selfie_segmentation.onnx):
// one shared InferenceSession per thread (its OnnxRuntime), and one SegmenterStream per session that owns its
// preallocated input and output buffers (no allocation per frame). The frame is letterboxed
// into the model's square input (aspect kept, grey bars), not stretched, and the mask is
// cropped back out of the letterbox.
import type { InferenceSession } from 'onnxruntime-node';
import { yuvToRgb } from '../image/color.js';
import { Downscaler, type LowRes } from '../image/downscale.js';
import type { I420Frame } from '../image/i420.js';
import { ort, type OnnxRuntime } from '../runtime/onnx_session.js';

export const SELFIE_MODEL = 'selfie_segmentation.onnx';
const SIZE = 256;
const INPUT = 'input_1:0';
const OUTPUT = 'activation_10';

export interface MaskImage {
  width: number;
  height: number;
  /** person probability 0..255 per pixel */
  data: Uint8Array;
}

/** Where a width x height frame sits inside the square model input. */
export function letterbox(
  width: number,
  height: number,
  size = SIZE,
): { w: number; h: number; x0: number; y0: number } {
  const s = size / Math.max(width, height);
  const w = Math.max(1, Math.round(width * s)),
    h = Math.max(1, Math.round(height * s));
  return { w, h, x0: (size - w) >> 1, y0: (size - h) >> 1 };
}

export class Segmenter {
  private constructor(
    private readonly onnx: OnnxRuntime,
    private readonly session: InferenceSession,
  ) {}

  /** Loads the model and runs it once, so that no session pays for the first run's warm-up. */
  static async create(onnx: OnnxRuntime): Promise<Segmenter> {
    const session = await onnx.session(SELFIE_MODEL);
    await onnx.run(
      session,
      { [INPUT]: new ort.Tensor('float32', new Float32Array(SIZE * SIZE * 3).fill(0.5), [1, SIZE, SIZE, 3]) },
      [OUTPUT],
    );
    return new Segmenter(onnx, session);
  }

  stream(): SegmenterStream {
    return new SegmenterStream(this.onnx, this.session);
  }
}

/** One stream's model input and output buffers (its temporal state is in SpeakerMask). */
export class SegmenterStream {
  private readonly input = new Float32Array(SIZE * SIZE * 3);
  private readonly rgb = [0, 0, 0];
  private readonly downscaler = new Downscaler();
  private low: LowRes | undefined;
  private mask: MaskImage = { width: 0, height: 0, data: new Uint8Array(0) };

  constructor(
    private readonly onnx: OnnxRuntime,
    private readonly session: InferenceSession,
  ) {}

  /** The low-res frame the last mask was computed from (interleaved Y, U-128, V-128). */
  get lowRes(): LowRes | undefined {
    return this.low;
  }

  /** The speaker mask of `frame` at the letterboxed size (long side 256). */
  async segment(frame: I420Frame): Promise<MaskImage> {
    const box = letterbox(frame.width, frame.height);
    this.low = this.downscaler.i420(frame, box.w, box.h, this.low);
    const inp = this.input,
      yuv = this.low.yuv,
      rgb = this.rgb;
    inp.fill(0.5);
    for (let y = 0; y < box.h; y++)
      for (let x = 0; x < box.w; x++) {
        const i = y * box.w + x;
        yuvToRgb(yuv[3 * i], yuv[3 * i + 1], yuv[3 * i + 2], rgb);
        const o = 3 * ((y + box.y0) * SIZE + x + box.x0);
        for (let c = 0; c < 3; c++) {
          const v = rgb[c] / 255;
          inp[o + c] = v < 0 ? 0 : v > 1 ? 1 : v;
        }
      }
    const out = await this.onnx.run(this.session, { [INPUT]: new ort.Tensor('float32', inp, [1, SIZE, SIZE, 3]) }, [
      OUTPUT,
    ]);
    const p = out[OUTPUT].data as Float32Array;
    if (this.mask.width !== box.w || this.mask.height !== box.h)
      this.mask = { width: box.w, height: box.h, data: new Uint8Array(box.w * box.h) };
    const m = this.mask.data;
    for (let y = 0; y < box.h; y++)
      for (let x = 0; x < box.w; x++) {
        const v = p[(y + box.y0) * SIZE + x + box.x0];
        m[y * box.w + x] = v <= 0 ? 0 : v >= 1 ? 255 : Math.round(v * 255);
      }
    return this.mask;
  }
}
