// One artistic look rendered for one session: its network's output at the internal size (a
// preallocated output tensor the network writes into) and that output upsampled to the frame's
// full resolution (an I420 image of the frame's size), both reused frame after frame. A session
// holds one per look on screen (two during a cross-fade between looks).
import type { InferenceSession } from 'onnxruntime-node';
import { i420Size, type I420Frame } from '../image/i420.js';
import { ort, type OnnxRuntime } from '../runtime/onnx_session.js';
import { ARTISTIC_INPUT, ARTISTIC_OUTPUT } from './artistic_models.js';
import type { ArtisticInput } from './artistic_input.js';
import { ArtisticUpsampler, type ArtisticUpsampleOptions } from './artistic_upsample.js';

export class ArtisticLayer {
  readonly #upsampler: ArtisticUpsampler;
  #out = new Float32Array(0);
  #outTensor: ort.Tensor | null = null;
  #image = new Uint8Array(0);
  #width = 0;
  #height = 0;

  constructor(
    readonly look: string,
    upsample: Partial<ArtisticUpsampleOptions> = {},
  ) {
    this.#upsampler = new ArtisticUpsampler(upsample);
  }

  /** The look at the frame's resolution (I420), valid after upsample(). */
  get image(): Uint8Array {
    return this.#image;
  }

  /** Runs the look's network on the prepared input (into this layer's output buffer). */
  async run(onnx: OnnxRuntime, session: InferenceSession, input: ArtisticInput): Promise<void> {
    const w = input.width,
      h = input.height;
    if (this.#out.length !== 3 * w * h || !this.#outTensor || this.#outTensor.dims[3] !== w) {
      this.#out = new Float32Array(3 * w * h);
      this.#outTensor = new ort.Tensor('float32', this.#out, [1, 3, h, w]);
    }
    // onnxruntime writes into the preallocated output (its Node binding still hands back the
    // result as a typed array of its own, with the same values: read from that)
    const res = await onnx.run(session, { [ARTISTIC_INPUT]: input.tensor }, { [ARTISTIC_OUTPUT]: this.#outTensor });
    this.#upsampler.fromNetwork(res[ARTISTIC_OUTPUT].data as Float32Array, w, h);
  }

  /** Upsamples the last output to `frame`'s resolution, guided by the frame (read only). */
  upsample(frame: I420Frame, input: ArtisticInput): void {
    if (frame.width !== this.#width || frame.height !== this.#height) {
      this.#width = frame.width;
      this.#height = frame.height;
      this.#image = new Uint8Array(i420Size(frame.width, frame.height));
    }
    this.#upsampler.upsample(frame, input.low, this.#image);
  }
}
