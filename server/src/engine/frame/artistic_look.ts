// A session's artistic looks on its engine thread (part of its FrameSession): which artistic
// look each region shows, the pixel-space cross-fade when a look change involves an artistic
// look, and the per-look layers that render them. Per frame: the frame (before the photoreal
// slicing) is downscaled once to the internal size (long side 256: the networks' stroke scale),
// every look on screen runs its network on it (one onnxruntime session per look per thread,
// ArtisticModels), and each output is upsampled guided by the full-resolution frame; after
// the photoreal slicing, compose() blends the layers in by the speaker mask.
//
// A cross-fade renders the old and the new looks and weighs them by the same smooth weight
// as the photoreal transition (transition.ts); a region going from or to a photoreal look
// shows that look through the grid path underneath (which moves from the old photoreal look to
// the new one in grid space over the same time). A change that interrupts a fade starts from
// the look that was fading in.
import type { I420Frame } from '../image/i420.js';
import type { OnnxRuntime } from '../runtime/onnx_session.js';
import {
  artisticSize,
  ArtisticInput,
  ARTISTIC_HALF_LONG_SIDE,
  ARTISTIC_LONG_SIDE,
  ARTISTIC_SHED_LONG_SIDE,
} from './artistic_input.js';
import { ArtisticLayer } from './artistic_layer.js';
import type { ArtisticModels } from './artistic_models.js';
import type { ArtisticUpsampleOptions } from './artistic_upsample.js';
import { MAX_LAYERS, PixelComposer, type ComposeLayer } from './pixel_compose.js';
import { smoothstep, transitionWeight, type Transition } from './transition.js';

/** The artistic look of each region; null: the region shows a photoreal look (grid path). */
export interface ArtisticPair {
  fg: string | null;
  bg: string | null;
}

export interface ArtisticOptions {
  /** long side of the networks' input, pixels */
  longSide: number;
  /** long side while the session sheds load at full resolution (degradation 1-3: a coarser painting costs less) */
  shedLongSide: number;
  /** long side at half resolution (degradation 4): the same stroke scale as `longSide` on the full frame */
  halfLongSide: number;
  upsample: Partial<ArtisticUpsampleOptions>;
}

export const DEFAULT_ARTISTIC: ArtisticOptions = {
  longSide: ARTISTIC_LONG_SIDE,
  shedLongSide: ARTISTIC_SHED_LONG_SIDE,
  halfLongSide: ARTISTIC_HALF_LONG_SIDE,
  upsample: {},
};

/** A session's load: full quality, shedding at full resolution (below its best tier), at half resolution. */
export type ArtisticLoad = 'full' | 'shed' | 'half';

const NONE: ArtisticPair = { fg: null, bg: null };

export class ArtisticLook {
  readonly #models: ArtisticModels;
  readonly #onnx: OnnxRuntime;
  readonly #opt: ArtisticOptions;
  readonly #input = new ArtisticInput();
  readonly #layers = new Map<string, ArtisticLayer>();
  readonly #composer = new PixelComposer();
  /** this frame's layers and weights (slots reused), and the layer of each slot */
  readonly #plan: ComposeLayer[] = Array.from({ length: MAX_LAYERS }, () => ({
    image: new Uint8Array(0),
    fg: 0,
    bg: 0,
  }));
  readonly #planLayers: (ArtisticLayer | null)[] = new Array<ArtisticLayer | null>(MAX_LAYERS).fill(null);
  #planCount = 0;
  #pair: ArtisticPair = NONE;
  /** during a cross-fade: the looks fading out, and when the fade started */
  #fade: (Transition & { from: ArtisticPair }) | null = null;
  #weight = 1;
  #size = '';
  #sizeFor = { W: 0, H: 0, longSide: 0, width: 0, height: 0, label: '' };

  constructor(models: ArtisticModels, onnx: OnnxRuntime, opt: Partial<ArtisticOptions> = {}) {
    this.#models = models;
    this.#onnx = onnx;
    this.#opt = { ...DEFAULT_ARTISTIC, ...opt };
  }

  get pair(): Readonly<ArtisticPair> {
    return this.#pair;
  }

  /**
   * Whether one artistic look covers both regions and nothing is fading: the speaker mask
   * would not change the picture (the session may skip segmenting).
   */
  get uniform(): boolean {
    return !this.#fade && !!this.#pair.fg && this.#pair.fg === this.#pair.bg;
  }

  /** Whether any artistic look is on screen (or fading out). */
  get active(): boolean {
    const f = this.#fade?.from;
    return !!(this.#pair.fg || this.#pair.bg || f?.fg || f?.bg);
  }

  /**
   * Whether this frame's layers (from render()) cover every pixel, so that the photoreal grid
   * path would not show: on both regions, or on the speaker when there is no mask (the whole
   * frame is the speaker then).
   */
  covers(masked: boolean): boolean {
    let fg = 0,
      bg = 0;
    for (let k = 0; k < this.#planCount; k++) {
      fg += this.#plan[k].fg;
      bg += this.#plan[k].bg;
    }
    return fg >= 1 - 1e-9 && (!masked || bg >= 1 - 1e-9);
  }

  /** The internal size of the last rendered frame ("256x192"), '' when none was rendered. */
  get internalSize(): string {
    return this.#size;
  }

  /** Weight of the current looks (1 outside a cross-fade). */
  get weight(): number {
    return this.#weight;
  }

  /**
   * Starts showing `pair`; when an artistic look is involved and the session has shown a
   * frame (`shown`), it cross-fades over `transitionMs`.
   */
  set(pair: ArtisticPair, transitionMs: number, nowMs: number, shown = true): void {
    const cur = this.#pair;
    if (cur.fg === pair.fg && cur.bg === pair.bg) return;
    const involved = !!(cur.fg || cur.bg || pair.fg || pair.bg);
    this.#fade =
      involved && transitionMs > 0 && shown
        ? { fromFg: cur.fg ?? '', fromBg: cur.bg ?? '', from: { ...cur }, startMs: nowMs, durationMs: transitionMs }
        : null;
    this.#pair = { ...pair };
  }

  /**
   * Renders this frame's artistic layers from `frame` (the original, before the photoreal
   * slicing; read only). `load`: whether the session sheds load (tier_policy.ts); while it
   * does the networks run at a smaller internal size. Returns ms per stage.
   */
  async render(frame: I420Frame, nowMs: number, load: ArtisticLoad = 'full'): Promise<Record<string, number>> {
    const t0 = performance.now();
    this.#weight = 1;
    if (this.#fade) {
      this.#weight = smoothstep(transitionWeight(this.#fade, nowMs));
      if (this.#weight >= 1) this.#fade = null;
    }
    if (!this.#fade) this.#evict();
    this.#makePlan();
    if (!this.#planCount) {
      this.#size = '';
      return {};
    }
    const o = this.#opt,
      longSide = load === 'half' ? o.halfLongSide : load === 'shed' ? o.shedLongSide : o.longSide,
      size = this.#internal(frame.width, frame.height, longSide);
    this.#input.prepare(frame, size.width, size.height);
    const t1 = performance.now();
    for (let k = 0; k < this.#planCount; k++) {
      const layer = this.#planLayers[k]!;
      await layer.run(this.#onnx, this.#models.session(layer.look), this.#input);
    }
    const t2 = performance.now();
    for (let k = 0; k < this.#planCount; k++) {
      const layer = this.#planLayers[k]!;
      layer.upsample(frame, this.#input);
      this.#plan[k].image = layer.image;
    }
    const t3 = performance.now();
    this.#size = size.label;
    return { 'artistic.input': t1 - t0, 'artistic.net': t2 - t1, 'artistic.upsample': t3 - t2 };
  }

  /** The internal size for a frame size and long side (kept while they do not change). */
  #internal(W: number, H: number, longSide: number): { width: number; height: number; label: string } {
    const c = this.#sizeFor;
    if (c.W !== W || c.H !== H || c.longSide !== longSide) {
      const s = artisticSize(W, H, longSide);
      this.#sizeFor = { W, H, longSide, width: s.width, height: s.height, label: `${s.width}x${s.height}` };
    }
    return this.#sizeFor;
  }

  /** Blends this frame's layers into `frame` (after the photoreal slicing) by the speaker mask; returns ms. */
  compose(frame: I420Frame, mask?: Uint8Array): number {
    const t0 = performance.now();
    if (this.#planCount) this.#composer.compose(frame, this.#plan, this.#planCount, mask);
    return performance.now() - t0;
  }

  /** This frame's layers: the current looks at the fade's weight, the faded-out ones at the rest. */
  #makePlan(): void {
    this.#planCount = 0;
    const w = this.#weight,
      from = this.#fade?.from;
    this.#addToPlan(this.#pair.fg, w, 0);
    this.#addToPlan(this.#pair.bg, 0, w);
    if (from) {
      this.#addToPlan(from.fg, 1 - w, 0);
      this.#addToPlan(from.bg, 0, 1 - w);
    }
  }

  #addToPlan(look: string | null, fg: number, bg: number): void {
    if (!look || (fg <= 0 && bg <= 0)) return;
    for (let k = 0; k < this.#planCount; k++)
      if (this.#planLayers[k]!.look === look) {
        this.#plan[k].fg += fg;
        this.#plan[k].bg += bg;
        return;
      }
    const k = this.#planCount++;
    this.#planLayers[k] = this.#layer(look);
    this.#plan[k].fg = fg;
    this.#plan[k].bg = bg;
  }

  /** The layer of `look` (made at a look change, then reused frame after frame). */
  #layer(look: string): ArtisticLayer {
    let l = this.#layers.get(look);
    if (!l) {
      l = new ArtisticLayer(look, this.#opt.upsample);
      this.#layers.set(look, l);
    }
    return l;
  }

  /** Outside a fade only the current looks keep their layers. */
  #evict(): void {
    for (const id of this.#layers.keys()) if (id !== this.#pair.fg && id !== this.#pair.bg) this.#layers.delete(id);
  }

  /** Releases the layers' buffers (the session closed). */
  close(): void {
    this.#layers.clear();
    this.#planLayers.fill(null);
    this.#planCount = 0;
    this.#fade = null;
    this.#pair = NONE;
  }
}
