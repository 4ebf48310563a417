// Bounded decoding of untrusted images (style uploads). The declared size is read from the
// header first and anything too large is refused before a single pixel is decoded
// (decompression bombs); sharp's own pixel limit backs that up.
import sharp, { type Metadata } from 'sharp';

export interface ImageLimits {
  maxBytes: number;
  /** declared width x height above this is refused without decoding */
  maxPixels: number;
  maxSide: number;
}

export class ImageRejected extends Error {
  constructor(
    readonly status: 400 | 413 | 415 | 422,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const FORMATS = new Set(['jpeg', 'png', 'webp']);

/** Magic numbers of the accepted formats: the body must be what it claims. */
export function sniffFormat(buf: Uint8Array): 'jpeg' | 'png' | 'webp' | null {
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return 'jpeg';
  if (buf.length >= 8 && buf[0] === 0x89 && buf[1] === 0x50 && buf[2] === 0x4e && buf[3] === 0x47) return 'png';
  if (
    buf.length >= 12 &&
    buf[0] === 0x52 &&
    buf[1] === 0x49 &&
    buf[2] === 0x46 &&
    buf[3] === 0x46 &&
    buf[8] === 0x57 &&
    buf[9] === 0x45 &&
    buf[10] === 0x42 &&
    buf[11] === 0x50
  )
    return 'webp';
  return null;
}

export interface DecodedImage {
  rgb: Uint8Array;
  width: number;
  height: number;
  /** the re-encoded thumbnail (never the uploaded bytes) */
  thumbnail: Buffer;
}

/**
 * Validates and decodes an image into RGB no larger than `fitSide` on its long side, plus a
 * JPEG thumbnail. Throws ImageRejected with an HTTP status and a readable message.
 * `decoding` is called once the checks have passed, right before any pixel is decoded.
 */
export async function decodeImage(
  buf: Buffer,
  limits: ImageLimits,
  fitSide: number,
  decoding: () => void = () => {},
  thumbSize = { width: 160, height: 120 },
): Promise<DecodedImage> {
  if (buf.length === 0) throw new ImageRejected(400, 'empty', 'the upload is empty');
  if (buf.length > limits.maxBytes)
    throw new ImageRejected(413, 'too_large', `image is ${buf.length} bytes; the limit is ${limits.maxBytes}`);
  const sniffed = sniffFormat(buf);
  if (!sniffed) throw new ImageRejected(415, 'unsupported_type', 'not a JPEG, PNG or WebP image');
  let meta: Metadata;
  try {
    // header only: no pixel is decoded here, so the declared size can be checked first
    meta = await sharp(buf, { limitInputPixels: false, failOn: 'none' }).metadata();
  } catch (e) {
    throw new ImageRejected(422, 'corrupt', `cannot read the image header: ${(e as Error).message}`);
  }
  if (!meta.format || !FORMATS.has(meta.format))
    throw new ImageRejected(415, 'unsupported_type', `unsupported image format ${meta.format ?? 'unknown'}`);
  const w = meta.width ?? 0,
    h = meta.height ?? 0;
  if (w < 16 || h < 16) throw new ImageRejected(422, 'too_small', `image is ${w}x${h}; at least 16x16 is needed`);
  if (w > limits.maxSide || h > limits.maxSide || w * h > limits.maxPixels) {
    throw new ImageRejected(
      413,
      'too_many_pixels',
      `image declares ${w}x${h} pixels; the limit is ${limits.maxPixels} pixels and ${limits.maxSide} per side`,
    );
  }
  decoding();
  try {
    const base = () =>
      sharp(buf, { limitInputPixels: limits.maxPixels, failOn: 'error' }).rotate().removeAlpha().toColourspace('srgb');
    const { data, info } = await base()
      .resize(fitSide, fitSide, { fit: 'inside', withoutEnlargement: true })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const thumbnail = await base()
      .resize(thumbSize.width, thumbSize.height, { fit: 'cover' })
      .jpeg({ quality: 82 })
      .toBuffer();
    return {
      rgb: new Uint8Array(data.buffer, data.byteOffset, data.length),
      width: info.width,
      height: info.height,
      thumbnail,
    };
  } catch (e) {
    throw new ImageRejected(422, 'corrupt', `cannot decode the image: ${(e as Error).message}`);
  }
}
