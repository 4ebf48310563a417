// I420 frame views: a Y plane (W*H) followed by U and V planes ((W+1)/2 * (H+1)/2 each).

export interface I420Frame {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface I420Planes {
  y: Uint8Array;
  u: Uint8Array;
  v: Uint8Array;
  width: number;
  height: number;
  chromaWidth: number;
  chromaHeight: number;
}

export function i420Size(width: number, height: number): number {
  const cw = (width + 1) >> 1,
    ch = (height + 1) >> 1;
  return width * height + 2 * cw * ch;
}

export function i420Planes(frame: I420Frame): I420Planes {
  const { width, height, data } = frame;
  const cw = (width + 1) >> 1,
    ch = (height + 1) >> 1;
  const ySize = width * height,
    cSize = cw * ch;
  if (data.length < ySize + 2 * cSize) {
    throw new RangeError(`I420 buffer too small: ${data.length} < ${ySize + 2 * cSize} for ${width}x${height}`);
  }
  return {
    y: data.subarray(0, ySize),
    u: data.subarray(ySize, ySize + cSize),
    v: data.subarray(ySize + cSize, ySize + 2 * cSize),
    width,
    height,
    chromaWidth: cw,
    chromaHeight: ch,
  };
}
