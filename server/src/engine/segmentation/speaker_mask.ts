// One session's speaker mask at full resolution, every frame: the segmentation model at its
// low native resolution, temporal smoothing, then enhancement against the full-resolution
// frame's edges. All of the session's segmentation state (the model's buffers, the smoothed
// mask, the guided-filter coefficients, the full-res plane) lives here and goes with it.
//
// The model runs on the frame path while its mean time stays under budgetMs (12 ms); when
// slower, beside it: a frame takes the model's input (when no run is in flight) and is served
// the latest mask, enhanced against its own full-resolution luma, and the run starts once the
// frame has been processed. Beside the path is cheaper for the frame (~3 ms at 720p here) but
// not for the picture: `npm run eval`, masks one run late against awaited ones, a 0.5 px halo
// in the fast hand motion of real_iot_asl_again and 2 px in the held-out real_iot_asl_book,
// where the awaited masks had none (warping error within ±6 %); awaiting only fast-moving
// frames' runs kept the halo and raised the warping error 17 %. The model and the coefficient
// fit run every k frames, k (1..4) chosen so that they take at most `duty` of the frame
// interval (every frame at 30 fps on this 2-core machine); the frames between reuse the latest
// coefficients, applied to their own full-resolution luma. While the machine drops camera
// frames, the cadence rises too (noteDrops). While the picture is still
// (image/motion_meter.ts) the model runs only every `stillInterval` frames, and the
// full-resolution plane is kept as it is until a new mask arrives or the picture moves: a
// still speaker costs little.
import { i420Planes, type I420Frame } from '../image/i420.js';
import { MotionMeter } from '../image/motion_meter.js';
import { bilinearUpsample, GuidedUpsampler, type GuidedKernel, type GuidedOptions } from './guided_upsample.js';
import { MaskSmoother, type MaskSmoothKernel, type SmootherOptions } from './mask_smoother.js';
import type { SegmenterStream } from './segmenter.js';

export type Enhancement = 'guided' | 'bilinear';

export interface SpeakerMaskOptions {
  enhancement: Enhancement;
  /** temporal smoothing on (off: each frame's mask as the model gives it) */
  smoothing: boolean;
  /** run the model on the frame path while its mean time stays under this, ms (0: always beside it) */
  budgetMs: number;
  /** share of the frame interval segmentation may take on average (sets the cadence k) */
  duty: number;
  /** longest cadence: the model runs at least every maxInterval frames */
  maxInterval: number;
  /** cadence while the picture is still (frames), and how many still frames in a row make it still */
  stillInterval: number;
  stillFrames: number;
  smoother: Partial<SmootherOptions>;
  guided: Partial<GuidedOptions>;
}

export const DEFAULT_SPEAKER_MASK: SpeakerMaskOptions = {
  enhancement: 'guided',
  smoothing: true,
  budgetMs: 12,
  duty: 0.35,
  maxInterval: 4,
  stillInterval: 8,
  stillFrames: 6,
  smoother: {},
  guided: {},
};

export interface MaskResult {
  /** the speaker mask at the frame's resolution, 0..255 (valid until the next update) */
  plane: Uint8Array;
  source: 'live' | 'reused';
  /**
   * ms: segment (model, with its letterbox), smooth (temporal + coefficient fit) of the model
   * run that finished since the last frame (0 when none did), enhance (full res, every frame)
   */
  stages: { segment: number; smooth: number; enhance: number };
}

export class SpeakerMask {
  private readonly smoother: MaskSmoother;
  private readonly guided: GuidedUpsampler;
  private readonly opt: SpeakerMaskOptions;
  private plane = new Uint8Array(0);
  /** the latest smoothed low-res mask (0..1) and its size */
  private low: Float32Array = new Float32Array(0);
  private lowW = 0;
  private lowH = 0;
  private segAvg = 0;
  /** mean ms of one model run plus its smoothing and fit */
  private costAvg = 0;
  private runs = 0;
  /** frames since the model last ran, and the cadence */
  private since = 0;
  private k = 1;
  private lastNow = -1;
  private intervalAvg = 0;
  /** cadence floor raised while the machine drops camera frames (1 = none) */
  private loadK = 1;
  private drops = { frames: 0, dropped: 0 };
  private segMs = 0;
  private smoothMs = 0;
  private inflight: Promise<void> | null = null;
  private readonly motion = new MotionMeter();
  /** model results folded in so far, and the one the full-resolution plane was made from */
  private version = 0;
  private applied = -1;
  private closed = false;

  /** `kernel`: the engine thread's WebAssembly kernels for smoothing, the fit and the full-resolution pass (else plain JS) */
  constructor(
    private readonly stream: SegmenterStream,
    opt: Partial<SpeakerMaskOptions> = {},
    private readonly kernel?: GuidedKernel & MaskSmoothKernel,
  ) {
    this.opt = { ...DEFAULT_SPEAKER_MASK, ...opt };
    this.smoother = new MaskSmoother(this.opt.smoother, kernel);
    this.guided = new GuidedUpsampler(this.opt.guided);
  }

  /**
   * `n` camera frames were dropped before this one. Over windows of 30 frames (~1 s): more
   * than 15 % dropped raises the cadence floor by one (up to maxInterval); none lowers it.
   */
  noteDrops(n: number): void {
    const w = this.drops;
    w.frames++;
    w.dropped += n;
    if (w.frames < 30) return;
    const share = w.dropped / (w.frames + w.dropped);
    if (share > 0.15) this.loadK = Math.min(this.opt.maxInterval, this.loadK + 1);
    else if (share === 0) this.loadK = Math.max(1, this.loadK - 1);
    this.drops = { frames: 0, dropped: 0 };
    this.adapt();
  }

  /** Resolves once no model run is in flight (one started off the frame path has been folded in). */
  async idle(): Promise<void> {
    await this.inflight;
  }

  /** Frames between model runs now (1 = every frame). */
  get cadence(): number {
    return this.k;
  }

  /** The mask for `frame`; `nowMs`: its time (sets the cadence from the frame interval). */
  async update(frame: I420Frame, nowMs = performance.now()): Promise<MaskResult> {
    if (this.closed) throw new Error('speaker mask closed');
    this.track(nowMs);
    this.motion.measure(frame);
    const still = this.motion.stillFor(this.opt.stillFrames);
    const k = still ? Math.max(this.k, this.opt.stillInterval) : this.k;
    let source: MaskResult['source'] = 'live';
    if (this.lowW && ++this.since < k) {
      source = 'reused';
    } else if (this.inflight || (this.lowW && this.segAvg >= this.opt.budgetMs)) {
      this.since = 0;
      // off the frame path: take this frame's input now, run the model once the frame has
      // been processed (so the two do not share the cores), serve the latest mask
      if (!this.inflight)
        this.inflight = this.segment(frame, true).finally(() => {
          this.inflight = null;
        });
      source = 'reused';
    } else {
      this.since = 0;
      await this.segment(frame);
    }
    const t0 = performance.now();
    const { width: W, height: H } = frame;
    // a still picture and no new mask: the plane made for the previous frame is this one's too
    const keep = still && this.applied === this.version && this.plane.length === W * H;
    if (this.plane.length !== W * H) this.plane = new Uint8Array(W * H);
    if (!keep) {
      if (this.opt.enhancement === 'guided') this.guided.apply(i420Planes(frame).y, W, H, this.plane, this.kernel);
      else bilinearUpsample(this.low, this.lowW, this.lowH, W, H, this.plane);
      this.applied = this.version;
    }
    const enhance = performance.now() - t0;
    // model time is reported with the frame it finished on (off the frame path: a later one)
    const stages = { segment: this.segMs, smooth: this.smoothMs, enhance };
    this.segMs = 0;
    this.smoothMs = 0;
    return { plane: this.plane, source, stages };
  }

  /**
   * Runs the model on `frame` and folds the result into the session's mask state. `defer`:
   * the input is taken now, the run starts on the next turn of the event loop (after the
   * caller's synchronous frame processing); the wait is not counted as model time.
   */
  private async segment(frame: I420Frame, defer = false): Promise<void> {
    let t0 = performance.now();
    this.stream.prepare(frame);
    if (defer) {
      const prepMs = performance.now() - t0;
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.closed) return;
      t0 = performance.now() - prepMs;
    }
    const m = await this.stream.infer();
    const t1 = performance.now();
    if (this.closed) return;
    this.segMs = t1 - t0;
    // the first run warms the model up and does not count
    if (++this.runs > 1) this.segAvg = this.runs > 2 ? 0.9 * this.segAvg + 0.1 * this.segMs : this.segMs;
    const luma = this.stream.lowRes!.yuv;
    if (!this.opt.smoothing) this.smoother.reset();
    this.low = this.smoother.update(m.data, luma, 3, m.width, m.height);
    this.lowW = m.width;
    this.lowH = m.height;
    this.version++;
    if (this.opt.enhancement === 'guided') this.guided.fit(this.low, luma, 3, m.width, m.height, this.kernel);
    this.smoothMs = performance.now() - t1;
    if (this.runs > 1) {
      const cost = performance.now() - t0;
      this.costAvg = this.runs > 2 ? 0.9 * this.costAvg + 0.1 * cost : cost;
      this.adapt();
    }
  }

  /** Frame interval from the frames' times (gaps over 250 ms, e.g. a paused camera, ignored). */
  private track(nowMs: number): void {
    const dt = nowMs - this.lastNow;
    if (this.lastNow >= 0 && dt > 0 && dt < 250)
      this.intervalAvg = this.intervalAvg ? 0.9 * this.intervalAvg + 0.1 * dt : dt;
    this.lastNow = nowMs;
  }

  private adapt(): void {
    const k = this.intervalAvg ? Math.ceil(this.costAvg / (this.opt.duty * this.intervalAvg)) : 1;
    this.k = Math.max(this.loadK, Math.min(this.opt.maxInterval, k));
  }

  /** Releases the session's buffers (the shared model session stays with the thread). */
  close(): void {
    this.closed = true;
    this.plane = new Uint8Array(0);
    this.low = new Float32Array(0);
    this.smoother.reset();
  }
}
