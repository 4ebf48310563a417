// The styles users can pick: the built-in photographic ones shipped in server/assets/styles,
// the artistic looks (a network per painting, artistic_catalog.ts) and uploads (always
// photographic). Each style is decoded once to a small RGB image shared with the engine
// threads (where its statistics are computed and cached) and a thumbnail served by the HTTP API.
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StyleInfo } from '../../../shared/protocol.js';
import type { StyleImage } from '../engine/runtime/style_store.js';
import { repoRoot } from '../repo_root.js';
import { readArtisticCatalog, type ArtisticLook } from './artistic_catalog.js';
import { decodeImage, type ImageLimits } from './image_decode.js';

/** Long side of the style image the engine sees. */
export const STYLE_SIDE = 512;
/** Long side of an artistic look's painting as the engine threads keep it (its network is the look). */
const ARTISTIC_SIDE = 64;

/** Where the artistic looks come from (null: none). */
export interface ArtisticSource {
  /** the models/ folder: artistic/styles.json and the artistic_<id>.onnx networks */
  models: string;
  /** the shipped painting thumbnails (<id>.jpg) */
  pictures: string;
}

export interface StyleRecord {
  info: StyleInfo;
  image: StyleImage;
  thumbnail: Buffer;
  owner: string | null;
  createdAt: number;
}

interface BuiltInEntry {
  id: string;
  name: string;
  file: string | null;
  credit: string;
}

export class StyleLimitError extends Error {
  constructor(message: string) {
    super(message);
  }
}

export interface StyleLibraryEvents {
  added: [StyleRecord];
  removed: [string];
}

export class StyleLibrary extends EventEmitter<StyleLibraryEvents> {
  private readonly records = new Map<string, StyleRecord>();
  /** images whose pixels were decoded (a refused upload must not add to it: /metrics, tests) */
  #decoded = 0;
  /** why listed artistic looks are not offered (also logged at start) */
  #artisticProblems: string[] = [];

  constructor(
    readonly limits: ImageLimits,
    readonly maxUploads: number,
    readonly maxUploadsPerOwner: number,
  ) {
    super();
  }

  get imagesDecoded(): number {
    return this.#decoded;
  }

  get artisticProblems(): readonly string[] {
    return this.#artisticProblems;
  }

  /**
   * Loads the built-in styles from a folder with a styles.json manifest, then the artistic
   * looks (by default from the repository's models/ and the folder's artistic/ pictures).
   */
  async loadBuiltIns(dir: string, artistic: ArtisticSource | null = defaultArtistic(dir)): Promise<void> {
    const entries = JSON.parse(readFileSync(join(dir, 'styles.json'), 'utf8')) as BuiltInEntry[];
    const natural = naturalThumbnail();
    for (const e of entries) {
      let image: StyleImage, thumbnail: Buffer;
      if (e.file) {
        const d = await decodeImage(
          readFileSync(join(dir, e.file)),
          { maxBytes: 16 << 20, maxPixels: 50e6, maxSide: 20000 },
          STYLE_SIDE,
          this.#counted,
        );
        image = { id: e.id, width: d.width, height: d.height, rgb: toShared(d.rgb) };
        thumbnail = d.thumbnail;
      } else {
        // "natural": no image, the engine keeps the original colours of that region
        image = { id: e.id, width: 0, height: 0, rgb: new SharedArrayBuffer(0) };
        thumbnail = await natural;
      }
      this.add({
        info: { id: e.id, name: e.name, thumbnail: thumbUrl(e.id), builtIn: true, kind: 'photo', credit: e.credit },
        image,
        thumbnail,
        owner: null,
        createdAt: Date.now(),
      });
    }
    if (artistic) await this.loadArtistic(artistic);
  }

  /** Registers the artistic looks whose networks are present and load; reports the others. */
  async loadArtistic(src: ArtisticSource): Promise<void> {
    const catalog = await readArtisticCatalog(src.models, src.pictures);
    this.#artisticProblems = catalog.problems;
    for (const p of catalog.problems) console.error(`[styles] ${p}`);
    for (const look of catalog.looks) {
      if (this.records.has(look.id)) {
        console.error(`[styles] artistic look "${look.id}": a style with that id exists; not offered`);
        continue;
      }
      await this.addArtistic(look);
    }
  }

  private async addArtistic(look: ArtisticLook): Promise<void> {
    let rgb: Uint8Array, width: number, height: number, thumbnail: Buffer;
    if (look.picture) {
      const d = await decodeImage(
        readFileSync(look.picture),
        { maxBytes: 16 << 20, maxPixels: 50e6, maxSide: 20000 },
        ARTISTIC_SIDE,
        this.#counted,
      );
      ({ rgb, width, height, thumbnail } = d);
    } else {
      console.error(`[styles] artistic look "${look.id}": no picture of the painting; a plain thumbnail instead`);
      width = height = 16;
      rgb = new Uint8Array(width * height * 3).fill(128);
      thumbnail = await naturalThumbnail();
    }
    this.add({
      info: {
        id: look.id,
        name: look.name,
        thumbnail: thumbUrl(look.id),
        builtIn: true,
        kind: 'artistic',
        credit: look.credit,
      },
      image: { id: look.id, width, height, rgb: toShared(rgb), artistic: { model: look.model } },
      thumbnail,
      owner: null,
      createdAt: Date.now(),
    });
  }

  readonly #counted = (): void => {
    this.#decoded++;
  };

  private add(r: StyleRecord): void {
    this.records.set(r.info.id, r);
    this.emit('added', r);
  }

  /** Validates, decodes and registers an uploaded image as a new style. */
  async upload(body: Buffer, name: string, owner: string): Promise<StyleInfo> {
    const uploads = [...this.records.values()].filter((r) => !r.info.builtIn);
    if (uploads.filter((r) => r.owner === owner).length >= this.maxUploadsPerOwner) {
      throw new StyleLimitError(`at most ${this.maxUploadsPerOwner} uploaded styles per user`);
    }
    const d = await decodeImage(body, this.limits, STYLE_SIDE, this.#counted);
    // the oldest upload makes room when the library is full
    if (uploads.length >= this.maxUploads) {
      const oldest = uploads.reduce((a, b) => (b.createdAt < a.createdAt ? b : a));
      this.remove(oldest.info.id);
    }
    const id = `u-${randomBytes(6).toString('hex')}`;
    const clean =
      name
        .replace(/[^\p{L}\p{N} ._-]/gu, '')
        .trim()
        .slice(0, 60) || 'My style';
    // uploads are photographic looks (no network is trained at upload)
    const info: StyleInfo = { id, name: clean, thumbnail: thumbUrl(id), builtIn: false, kind: 'photo' };
    this.add({
      info,
      image: { id, width: d.width, height: d.height, rgb: toShared(d.rgb) },
      thumbnail: d.thumbnail,
      owner,
      createdAt: Date.now(),
    });
    return info;
  }

  remove(id: string): boolean {
    const r = this.records.get(id);
    if (!r || r.info.builtIn) return false;
    this.records.delete(id);
    this.emit('removed', id);
    return true;
  }

  has(id: string): boolean {
    return this.records.has(id);
  }
  get(id: string): StyleRecord | undefined {
    return this.records.get(id);
  }
  list(): StyleInfo[] {
    return [...this.records.values()].map((r) => r.info);
  }
  images(): StyleImage[] {
    return [...this.records.values()].map((r) => r.image);
  }
  get size(): number {
    return this.records.size;
  }
}

function defaultArtistic(dir: string): ArtisticSource {
  return { models: join(repoRoot(), 'models'), pictures: join(dir, 'artistic') };
}

function thumbUrl(id: string): string {
  return `/api/styles/${id}/thumbnail.jpg`;
}

function toShared(rgb: Uint8Array): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(rgb.length);
  new Uint8Array(sab).set(rgb);
  return sab;
}

/** The "natural" style's thumbnail: a neutral grey gradient (built at start, not shipped as a file). */
async function naturalThumbnail(): Promise<Buffer> {
  const sharp = (await import('sharp')).default;
  const w = 160,
    h = 120,
    px = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const v = 90 + Math.round((100 * x) / w);
      px.fill(v, (y * w + x) * 3, (y * w + x) * 3 + 3);
    }
  return sharp(px, { raw: { width: w, height: h, channels: 3 } })
    .jpeg({ quality: 80 })
    .toBuffer();
}
