// A session's stylized stream for the SFU: one loopback uplink (one more encode, whatever the
// number of viewers), opened on first use and closed with its session. With `alpha` the uplink
// carries the speaker mask packed beside the colour (a frame twice as wide: colour left, mask
// as luma right) for pages that composite the speaker over transparency; asking for the other
// kind replaces the uplink. It encodes from its own video source (not the return leg's), so the
// return leg can pause while the uplink runs.
import { bitrateRange } from './sdp.js';
import type { MediaCensus } from './media_census.js';
import { Uplink } from './uplink.js';
import { wrtc, type WrtcFrame, type WrtcVideoSource } from './wrtc.js';

export interface SessionUplinkOptions {
  startBitrateKbps: number;
  /** the session's camera size in pixels (sizes the bitrate) */
  pixels: number;
  census: MediaCensus;
}

export class SessionUplink {
  #uplink: Promise<Uplink> | null = null;
  #alpha = false;
  /** what the uplink encodes: the stylized colour frames, or colour|mask packed (alpha) */
  #source: WrtcVideoSource | null = null;
  #packed = new Uint8Array(0);
  #closed = false;

  constructor(private readonly opts: SessionUplinkOptions) {}

  /** Opens the uplink (or returns the open one of the same kind). */
  open(alpha: boolean): Promise<Uplink> {
    if (this.#uplink && this.#alpha !== alpha) this.#closeLeg();
    if (!this.#uplink) {
      this.#alpha = alpha;
      const source = new wrtc.nonstandard.RTCVideoSource();
      this.#source = source;
      const leg = Uplink.open(source, {
        bitrate: bitrateRange(this.opts.startBitrateKbps, this.opts.pixels * (alpha ? 2 : 1)),
        connectTimeoutMs: 15_000,
        census: this.opts.census,
      });
      this.#uplink = leg;
      leg.then(
        (u) => {
          if (this.#closed) u.close();
        },
        () => {
          if (this.#uplink !== leg) return;
          this.#uplink = null;
          this.#source = null;
        },
      );
    }
    return this.#uplink;
  }

  /** Whether the uplink wants the speaker mask with each frame. */
  get wantsMask(): boolean {
    return !!this.#source && this.#alpha;
  }

  /** One stylized frame (and its mask, for an alpha uplink) for the encoder. */
  push(colour: WrtcFrame, mask: Uint8Array | undefined): void {
    const source = this.#source;
    if (!source) return;
    if (!this.#alpha) source.onFrame(colour);
    else if (mask) source.onFrame(this.#pack(colour, mask));
  }

  /** Colour left, mask right (as luma, neutral chroma), into the reused packed buffer. */
  #pack(out: WrtcFrame, mask: Uint8Array): WrtcFrame {
    const { width: W, height: H, data } = out,
      PW = 2 * W,
      cw = (W + 1) >> 1,
      ch = (H + 1) >> 1,
      pcw = W; // 2W wide: chroma W
    const bytes = PW * H + 2 * pcw * ch;
    if (this.#packed.length !== bytes) {
      this.#packed = new Uint8Array(bytes);
      this.#packed.fill(128, PW * H);
    }
    const p = this.#packed;
    for (let y = 0; y < H; y++) {
      p.set(data.subarray(y * W, y * W + W), y * PW);
      p.set(mask.subarray(y * W, y * W + W), y * PW + W);
    }
    const su = W * H,
      sv = su + cw * ch,
      du = PW * H,
      dv = du + pcw * ch;
    for (let y = 0; y < ch; y++) {
      p.set(data.subarray(su + y * cw, su + y * cw + cw), du + y * pcw);
      p.set(data.subarray(sv + y * cw, sv + y * cw + cw), dv + y * pcw);
    }
    return { width: PW, height: H, data: p };
  }

  #closeLeg(): void {
    void this.#uplink?.then(
      (u) => u.close(),
      () => {},
    );
    this.#uplink = null;
    this.#source = null;
  }

  close(): void {
    this.#closed = true;
    this.#closeLeg();
  }
}
