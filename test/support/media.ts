// Test media from ../shared (read-only, beside the repository).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import sharp from 'sharp';
import { rgbToI420 } from '../../server/src/engine/image/frame_convert.js';
import type { I420Frame } from '../../server/src/engine/image/i420.js';

/** The repository root (works from test/ sources and from dist/test/). */
export const ROOT = (() => {
  let d = import.meta.dirname;
  while (!existsSync(join(d, 'package.json'))) {
    if (dirname(d) === d) throw new Error('repository root not found');
    d = dirname(d);
  }
  return d;
})();
export const SHARED = resolve(process.env.RESTYLE_SHARED ?? join(ROOT, '..', 'shared'));
export const PHOTOS = join(SHARED, 'media', 'photos');
export const STYLES = join(SHARED, 'media', 'styles');
export const CLIPS = join(SHARED, 'media', 'clips');

export function sharedPath(...parts: string[]): string {
  const p = join(SHARED, ...parts);
  if (!existsSync(p))
    throw new Error(
      `missing test asset ${p} (tests read the shared media folder beside the repository, ../shared; set RESTYLE_SHARED to its path)`,
    );
  return p;
}

export interface RgbImage {
  rgb: Uint8Array;
  width: number;
  height: number;
}

/** Decodes an image to RGB, optionally resized to exactly width x height (cover crop). */
export async function loadRgb(path: string, width?: number, height?: number): Promise<RgbImage> {
  let img = sharp(path).removeAlpha().toColourspace('srgb');
  if (width && height) img = img.resize(width, height, { fit: 'cover' });
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  return { rgb: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

export async function loadI420(path: string, width: number, height: number): Promise<I420Frame> {
  const { rgb } = await loadRgb(path, width, height);
  return rgbToI420(rgb, width, height);
}
