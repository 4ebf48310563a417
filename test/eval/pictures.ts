// PNG thumbnails for the report (sharp), written next to index.html under img/.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { i420ToRgb } from '../../server/src/engine/image/frame_convert.js';
import type { I420Frame } from '../../server/src/engine/image/i420.js';

export const THUMB_WIDTH = 240;

export class Pictures {
  constructor(private readonly dir: string) {
    mkdirSync(join(dir, 'img'), { recursive: true });
  }

  /** Saves an RGB (3) or gray (1) image as a thumbnail; returns its path relative to the report. */
  async raw(name: string, data: Uint8Array, width: number, height: number, channels: 1 | 3): Promise<string> {
    const rel = `img/${name.replace(/[^a-zA-Z0-9_.-]+/g, '_')}.png`;
    await sharp(Buffer.from(data.buffer, data.byteOffset, data.length), { raw: { width, height, channels } })
      .resize(Math.min(THUMB_WIDTH, width))
      .png({ compressionLevel: 6 })
      .toFile(join(this.dir, rel));
    return rel;
  }

  frame(name: string, f: I420Frame): Promise<string> {
    return this.raw(name, i420ToRgb(f), f.width, f.height, 3);
  }

  mask(name: string, m: Uint8Array, width: number, height: number): Promise<string> {
    return this.raw(name, m, width, height, 1);
  }

  /** |frame difference| (0..255 float), amplified ×4 so small flicker shows. */
  diff(name: string, d: Float32Array, width: number, height: number): Promise<string> {
    return this.raw(
      name,
      Uint8Array.from(d, (v) => Math.min(255, Math.round(4 * v))),
      width,
      height,
      1,
    );
  }
}
