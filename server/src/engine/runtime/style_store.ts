// Per-thread cache of style images and the features computed from them once per style
// (colour statistics now; Laplacian band statistics and VGG feature statistics are added
// by the tiers that need them).
import { colorStats, rgbToYuv, type ColorStats } from '../image/color.js';

/** A style image as shared with the engine threads. */
export interface StyleImage {
  id: string;
  width: number;
  height: number;
  /** interleaved RGB u8, shared read-only between threads */
  rgb: SharedArrayBuffer;
  /**
   * artistic looks only: the look's stylizing network (a file under models/, e.g.
   * "artistic_udnie-art.onnx"), run by the frame threads; the image is then the painting
   */
  artistic?: { model: string };
}

export class StyleEntry {
  private _color: ColorStats | null = null;
  private _yuv: Float32Array | null = null;
  private readonly extras = new Map<string, unknown>();

  constructor(readonly image: StyleImage) {}

  get rgb(): Uint8Array {
    return new Uint8Array(this.image.rgb);
  }

  /** The "natural" style has no image: its region keeps the original colours. */
  get natural(): boolean {
    return this.image.width === 0;
  }

  /** Interleaved (Y, U-128, V-128) of the style image. */
  get yuv(): Float32Array {
    if (!this._yuv) {
      const rgb = this.rgb,
        n = this.image.width * this.image.height;
      const out = new Float32Array(n * 3);
      for (let i = 0; i < n; i++) rgbToYuv(rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2], out, 3 * i);
      this._yuv = out;
    }
    return this._yuv;
  }

  get color(): ColorStats {
    if (!this._color) this._color = colorStats(this.yuv);
    return this._color;
  }

  /** Memoizes a derived feature under `key`. */
  cached<T>(key: string, make: () => T): T {
    if (!this.extras.has(key)) this.extras.set(key, make());
    return this.extras.get(key) as T;
  }
}

export class UnknownStyleError extends Error {
  constructor(readonly styleId: string) {
    super(`unknown style "${styleId}"`);
  }
}

export class StyleStore {
  private readonly entries = new Map<string, StyleEntry>();

  put(image: StyleImage): void {
    const old = this.entries.get(image.id);
    if (old && old.image.rgb === image.rgb) return;
    this.entries.set(image.id, new StyleEntry(image));
  }

  delete(id: string): void {
    this.entries.delete(id);
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  get(id: string): StyleEntry {
    const e = this.entries.get(id);
    if (!e) throw new UnknownStyleError(id);
    return e;
  }
}
