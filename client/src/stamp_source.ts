// source=stamp: a synthetic camera for latency measurements. A canvas at the chosen size is
// repainted 30 times a second with a moving colourful gradient (real colours for the
// stylizer) and a frame stamp: performance.now() in ms (20 bits) as a row of black/white
// blocks, its complement in a second row. Each row starts with a white and a black reference
// block, so the reader can threshold on the strip's own levels after the stylizer has
// recoloured it. StampReader decodes the stamp from the returned (remote) video.
import { RESOLUTION_SIZE, type Resolution } from '../../shared/protocol';

const BITS = 20;
const MOD = 1 << BITS;
const MASK = MOD - 1;
const COLS = BITS + 2; // white ref, black ref, 20 bits
/** below this white-black luminance gap a row is unreadable */
const MIN_CONTRAST = 40;

interface Geometry {
  b: number;
  m: number;
  x0: number;
  y0: number;
}

/** Blocks are ~1/27 of the width; the strip sits in the top-left corner. */
function geometry(width: number): Geometry {
  const b = Math.round(width / 27);
  const m = Math.round(b / 2);
  return { b, m, x0: 2 * m, y0: 2 * m };
}

export class StampSource {
  readonly stream: MediaStream;
  private readonly canvas = document.createElement('canvas');
  private readonly ctx: CanvasRenderingContext2D;
  private readonly g: Geometry;
  private timer: number | undefined;

  constructor(res: Resolution) {
    const { width, height } = RESOLUTION_SIZE[res];
    this.canvas.width = width;
    this.canvas.height = height;
    const ctx = this.canvas.getContext('2d', { alpha: false });
    if (!ctx) throw new Error('no 2D canvas');
    this.ctx = ctx;
    this.g = geometry(width);
    this.paint();
    this.stream = this.canvas.captureStream(30);
    this.timer = window.setInterval(() => this.paint(), 1000 / 30);
  }

  get track(): MediaStreamTrack {
    return this.stream.getVideoTracks()[0];
  }

  stop(): void {
    window.clearInterval(this.timer);
    this.timer = undefined;
    this.stream.getTracks().forEach((t) => t.stop());
  }

  private paint(): void {
    const { ctx } = this;
    const w = this.canvas.width,
      h = this.canvas.height;
    const t = performance.now() / 1000;
    const hue = (t * 40) % 360;
    const grad = ctx.createLinearGradient(
      0,
      h * (0.5 + 0.5 * Math.sin(t * 0.5)),
      w,
      h * (0.5 - 0.5 * Math.sin(t * 0.5)),
    );
    grad.addColorStop(0, `hsl(${hue} 85% 55%)`);
    grad.addColorStop(0.5, `hsl(${(hue + 120) % 360} 80% 45%)`);
    grad.addColorStop(1, `hsl(${(hue + 240) % 360} 85% 60%)`);
    ctx.fillStyle = grad;
    ctx.fillRect(0, 0, w, h);
    for (let k = 0; k < 3; k++) {
      ctx.beginPath();
      ctx.arc(
        w * (0.5 + 0.35 * Math.sin(t * 0.7 + k * 2.1)),
        h * (0.6 + 0.25 * Math.cos(t * 0.9 + k)),
        h * (0.12 + 0.04 * k),
        0,
        Math.PI * 2,
      );
      ctx.fillStyle = `hsl(${(hue + 60 + k * 100) % 360} 70% ${35 + k * 12}%)`;
      ctx.fill();
    }
    this.drawStamp(Math.floor(performance.now()) & MASK);
  }

  private drawStamp(v: number): void {
    const { ctx } = this;
    const { b, m, x0, y0 } = this.g;
    ctx.fillStyle = '#808080';
    ctx.fillRect(x0 - m, y0 - m, COLS * b + 2 * m, 2 * b + 2 * m);
    const rows = [v, ~v & MASK];
    for (let r = 0; r < 2; r++) {
      const y = y0 + r * b;
      ctx.fillStyle = '#ffffff';
      ctx.fillRect(x0, y, b, b);
      for (let i = 0; i < BITS; i++) if ((rows[r] >> (BITS - 1 - i)) & 1) ctx.fillRect(x0 + (i + 2) * b, y, b, b);
      ctx.fillStyle = '#000000';
      ctx.fillRect(x0 + b, y, b, b);
      for (let i = 0; i < BITS; i++) if (!((rows[r] >> (BITS - 1 - i)) & 1)) ctx.fillRect(x0 + (i + 2) * b, y, b, b);
    }
  }
}

/** Reads stamps back from a video showing a StampSource's frames (scaled or recoloured). */
export class StampReader {
  private static readonly S = 8; // read-back pixels per block side
  private readonly canvas = document.createElement('canvas');
  private readonly ctx: CanvasRenderingContext2D;
  private readonly fx: number;
  private readonly fy: number;
  private readonly fw: number;
  private readonly fh: number;
  private last = -1;

  constructor(
    res: Resolution,
    private readonly onLatency: (ms: number, stamp: number) => void,
  ) {
    const { width, height } = RESOLUTION_SIZE[res];
    const g = geometry(width);
    // the block area as fractions of the frame, so a rescaled stream still reads
    this.fx = g.x0 / width;
    this.fy = g.y0 / height;
    this.fw = (COLS * g.b) / width;
    this.fh = (2 * g.b) / height;
    this.canvas.width = COLS * StampReader.S;
    this.canvas.height = 2 * StampReader.S;
    const ctx = this.canvas.getContext('2d', { willReadFrequently: true, alpha: false });
    if (!ctx) throw new Error('no 2D canvas');
    this.ctx = ctx;
  }

  /** Decodes the stamp in the video's current frame; returns it, or null when unreadable. */
  read(video: HTMLVideoElement, now = performance.now()): number | null {
    const vw = video.videoWidth,
      vh = video.videoHeight;
    if (!vw || !vh) return null;
    const S = StampReader.S;
    this.ctx.drawImage(video, this.fx * vw, this.fy * vh, this.fw * vw, this.fh * vh, 0, 0, COLS * S, 2 * S);
    const px = this.ctx.getImageData(0, 0, COLS * S, 2 * S).data;
    const row1 = this.row(px, 0),
      row2 = this.row(px, 1);
    if (row1 < 0 || row2 < 0 || row2 !== (~row1 & MASK)) return null;
    if (row1 !== this.last) {
      this.last = row1;
      this.onLatency((((Math.floor(now) - row1) % MOD) + MOD) % MOD, row1);
    }
    return row1;
  }

  /** The row's value, or -1 when its reference blocks are too close to tell apart. */
  private row(px: Uint8ClampedArray, r: number): number {
    const white = this.lum(px, r, 0),
      black = this.lum(px, r, 1);
    if (white - black < MIN_CONTRAST) return -1;
    const mid = (white + black) / 2;
    let v = 0;
    for (let i = 0; i < BITS; i++) v = (v << 1) | (this.lum(px, r, i + 2) > mid ? 1 : 0);
    return v;
  }

  /** Mean luminance of the centre half of block (r, c). */
  private lum(px: Uint8ClampedArray, r: number, c: number): number {
    const S = StampReader.S,
      q = S / 4,
      stride = COLS * S * 4;
    let sum = 0;
    for (let y = r * S + q; y < r * S + S - q; y++) {
      for (let x = c * S + q; x < c * S + S - q; x++) {
        const o = y * stride + x * 4;
        sum += 0.299 * px[o] + 0.587 * px[o + 1] + 0.114 * px[o + 2];
      }
    }
    return sum / ((S / 2) * (S / 2));
  }
}
