// One viewer's live loop: a wrtc peer connection that receives the camera, a frame pump that
// feeds the engine thread, and an RTCVideoSource track that sends the stylized frames back
// on the same connection. Everything the session owns is released by close().
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import {
  RESOLUTION_SIZE,
  type IceMsg,
  type MaskMode,
  type Resolution,
  type StatsMsg,
} from '../../../shared/protocol.js';
import type { EngineHandle, EnginePool, FrameReport } from '../engine/pool/engine_pool.js';
import { Uplink } from './uplink.js';
import { FramePump } from './frame_pump.js';
import type { MediaCensus } from './media_census.js';
import { bitrateRange, looksLikeVideoOffer, mungeBitrate } from './sdp.js';
import { SessionStats } from './session_stats.js';
import {
  wrtc,
  type WrtcFrame,
  type WrtcIceServer,
  type WrtcPeerConnection,
  type WrtcTrack,
  type WrtcVideoSink,
  type WrtcVideoSource,
} from './wrtc.js';

export interface MediaOptions {
  /** the server peer's ICE servers (TURN credentials minted for this session) */
  iceServers: (sessionId: string) => WrtcIceServer[];
  startBitrateKbps: number;
  /** close the session when no frame arrived for this long after connecting */
  mediaTimeoutMs: number;
  /** close the session when ICE has not connected this long after the offer */
  connectTimeoutMs: number;
  /** counts the session's native media objects (peer connection, uplink, paused return leg) */
  census: MediaCensus;
}

export class SessionError extends Error {
  constructor(
    readonly code: 'bad_sdp' | 'bad_candidate' | 'internal' | 'unknown_style',
    message: string,
  ) {
    super(message);
  }
}

const ECHO_REPORT = {
  stages: {},
  lowres: {},
  totalMs: 0,
  tier: 'global',
  r: 0,
  mask: 'full-frame',
  transition: 1,
  width: 0,
  height: 0,
  degradation: 0,
} as const satisfies FrameReport;

export interface SessionEvents {
  ice: [IceMsg];
  closed: [string];
}

export class Session extends EventEmitter<SessionEvents> {
  private pc: WrtcPeerConnection | null = null;
  private sink: WrtcVideoSink | null = null;
  private source: WrtcVideoSource | null = null;
  private outTrack: WrtcTrack | null = null;
  private readonly pump: FramePump<{ frame: WrtcFrame; at: number }>;
  readonly stats = new SessionStats();
  private dropsReported = 0;
  /** pump drops already passed to the engine */
  private dropsSeen = 0;
  private lastFrameAt = 0;
  private watchdog: NodeJS.Timeout | null = null;
  private uplinkP: Promise<Uplink> | null = null;
  private uplinkAlpha = false;
  /** what the uplink encodes: the stylized colour frames, or colour|mask packed (alpha) */
  private uplinkSource: WrtcVideoSource | null = null;
  private packedSource: WrtcVideoSource | null = null;
  /** the publisher watches itself through the SFU: the return leg encodes nothing meanwhile */
  private returnPaused = false;
  private packed = new Uint8Array(0);
  private readonly createdAt = Date.now();
  #closed = false;
  #closeReason = '';

  private constructor(
    readonly id: string,
    private readonly engine: EngineHandle,
    private readonly opts: MediaOptions,
    readonly log: Logger,
    readonly echo: boolean,
    private readonly pixels: number,
  ) {
    super();
    this.pump = new FramePump(
      async ({ frame, at }) => this.stylize(frame, at),
      (e) => this.log.warn({ err: String(e) }, 'frame failed'),
    );
    this.startWatchdog();
  }

  /** `resolution`: the camera size the page asked for (it sizes the bitrate of every leg) */
  static async create(
    id: string,
    pool: EnginePool,
    fg: string,
    bg: string,
    opts: MediaOptions,
    log: Logger,
    echo = false,
    resolution: Resolution = '720p',
  ): Promise<Session> {
    const engine = await pool.open(id, fg, bg);
    const { width, height } = RESOLUTION_SIZE[resolution];
    return new Session(id, engine, opts, log, echo, width * height);
  }

  get styles(): { foreground: string; background: string } {
    return { foreground: this.engine.fg, background: this.engine.bg };
  }

  /** Fault-injection tests: makes this session's engine thread throw or exit. */
  injectEngineFault(what: 'throw' | 'exit'): Promise<void> {
    return this.engine.injectFault(what);
  }

  /** Applies the browser's offer and returns the server's answer. */
  async handleOffer(sdp: string): Promise<string> {
    if (this.#closed) throw new SessionError('internal', 'session closed');
    if (this.pc) throw new SessionError('bad_sdp', 'this session already negotiated; start a new one to renegotiate');
    const bad = looksLikeVideoOffer(sdp);
    if (bad) throw new SessionError('bad_sdp', bad);
    const pc = new wrtc.RTCPeerConnection({ iceServers: this.opts.iceServers(this.id) });
    this.pc = pc;
    this.opts.census.peerOpened();
    try {
      return await this.negotiate(pc, sdp);
    } catch (e) {
      // a failed negotiation leaves nothing behind: the client may send a corrected offer
      this.releasePeer();
      throw e instanceof SessionError ? e : new SessionError('bad_sdp', `negotiation failed: ${(e as Error).message}`);
    }
  }

  private async negotiate(pc: WrtcPeerConnection, sdp: string): Promise<string> {
    const range = bitrateRange(this.opts.startBitrateKbps, this.pixels);
    pc.onicecandidate = (e) => {
      if (e.candidate?.candidate)
        this.emit('ice', {
          candidate: e.candidate.candidate,
          sdpMid: e.candidate.sdpMid ?? null,
          sdpMLineIndex: e.candidate.sdpMLineIndex ?? null,
        });
    };
    pc.oniceconnectionstatechange = () => {
      const st = pc.iceConnectionState;
      this.log.debug({ ice: st }, 'ice state');
      if (st === 'failed') this.close('ice_failed');
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'failed') this.close('connection_failed');
      if (pc.connectionState === 'closed') this.close('peer_closed');
    };
    pc.ontrack = (e) => {
      if (e.track.kind !== 'video' || this.sink) return;
      this.sink = new wrtc.nonstandard.RTCVideoSink(e.track);
      this.sink.onframe = ({ frame }) => this.onFrame(frame);
    };
    try {
      await pc.setRemoteDescription({ type: 'offer', sdp: mungeBitrate(sdp, range) });
    } catch (e) {
      throw new SessionError('bad_sdp', `offer rejected: ${(e as Error).message}`);
    }
    this.source = new wrtc.nonstandard.RTCVideoSource();
    this.outTrack = this.source.createTrack();
    // addTrack reuses the browser's sendrecv video transceiver: the stylized stream goes back
    // on the same m-line (one connection, one port pair per viewer)
    pc.addTrack(this.outTrack);
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    return mungeBitrate(pc.localDescription?.sdp ?? answer.sdp, range);
  }

  async addIce(c: IceMsg): Promise<void> {
    if (!this.pc) throw new SessionError('bad_candidate', 'send the offer before ICE candidates');
    if (!c.candidate) return; // end of candidates
    if (!/^candidate:/.test(c.candidate))
      throw new SessionError('bad_candidate', 'candidate must start with "candidate:"');
    try {
      await this.pc.addIceCandidate({
        candidate: c.candidate,
        sdpMid: c.sdpMid ?? '0',
        sdpMLineIndex: c.sdpMLineIndex ?? 0,
      });
    } catch (e) {
      throw new SessionError('bad_candidate', `candidate rejected: ${(e as Error).message}`);
    }
  }

  async setStyle(fg: string, bg: string, transitionMs: number): Promise<void> {
    await this.engine.setStyle(fg, bg, transitionMs);
  }

  /** True once the offer is answered (the stylized stream has a source to publish). */
  get streaming(): boolean {
    return !!this.source && !this.#closed;
  }

  /**
   * The session's stylized stream as RTP for the SFU: one loopback uplink (one more encode,
   * whatever the number of viewers), opened on first use and closed with the session. With
   * `alpha` the uplink carries the speaker mask packed beside the colour (a frame twice as
   * wide: colour left, mask as luma right) for pages that composite the speaker over
   * transparency; asking for the other kind replaces the uplink.
   */
  async uplink(alpha = false): Promise<Uplink> {
    if (this.#closed) throw new SessionError('internal', 'session closed');
    if (!this.source) throw new SessionError('internal', 'the session is not streaming yet: send the offer first');
    if (this.uplinkP && this.uplinkAlpha !== alpha) {
      void this.uplinkP.then(
        (u) => u.close(),
        () => {},
      );
      this.uplinkP = null;
    }
    if (!this.uplinkP) {
      this.uplinkAlpha = alpha;
      this.packedSource = alpha ? new wrtc.nonstandard.RTCVideoSource() : null;
      // its own source (not the return leg's), so the return leg can pause while the uplink runs
      this.uplinkSource = this.packedSource ?? new wrtc.nonstandard.RTCVideoSource();
      this.uplinkP = Uplink.open(this.uplinkSource, {
        bitrate: bitrateRange(this.opts.startBitrateKbps, this.pixels * (alpha ? 2 : 1)),
        connectTimeoutMs: 15_000,
        census: this.opts.census,
      });
      this.uplinkP.then(
        (u) => {
          if (this.#closed) u.close();
        },
        () => {
          this.uplinkP = null;
          this.packedSource = null;
          this.uplinkSource = null;
        },
      );
    }
    return this.uplinkP;
  }

  /** Colour left, mask right (as luma, neutral chroma), into the reused packed buffer. */
  private pack(
    out: { width: number; height: number; data: Uint8Array },
    mask: Uint8Array,
  ): { width: number; height: number; data: Uint8Array } {
    const { width: W, height: H, data } = out,
      PW = 2 * W,
      cw = (W + 1) >> 1,
      ch = (H + 1) >> 1,
      pcw = W; // 2W wide: chroma W
    const bytes = PW * H + 2 * pcw * ch;
    if (this.packed.length !== bytes) {
      this.packed = new Uint8Array(bytes);
      this.packed.fill(128, PW * H);
    }
    const p = this.packed;
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

  /**
   * The publisher watches its own stylized stream through the SFU (one encode, the uplink's):
   * the return leg stops encoding meanwhile (`false`), and resumes (`true`) when that view ends.
   */
  setReturnVideo(on: boolean): void {
    if (this.returnPaused === !on) return;
    this.returnPaused = !on;
    this.opts.census.selfView(!on);
    this.log.info(
      { returnVideo: on },
      on ? 'return leg resumed' : 'return leg paused: the publisher watches itself through the SFU',
    );
  }

  /** Mask mode and debug view; returns the options now in force. */
  async setOptions(
    o: { maskMode?: MaskMode; showMask?: boolean },
    transitionMs: number,
  ): Promise<{ maskMode: MaskMode; showMask: boolean }> {
    await this.engine.setOptions(o, transitionMs);
    return this.options;
  }

  get options(): { maskMode: MaskMode; showMask: boolean } {
    return { maskMode: this.engine.options.maskMode ?? 'styled', showMask: this.engine.options.showMask ?? false };
  }

  private onFrame(frame: WrtcFrame): void {
    if (this.#closed) return;
    this.lastFrameAt = Date.now();
    this.stats.frameIn(frame.width, frame.height);
    if (this.echo) {
      // latency baseline: the camera goes straight back through the same decode/encode path
      this.source?.onFrame({ width: frame.width, height: frame.height, data: frame.data });
      this.stats.frameOut(ECHO_REPORT, 0, 0);
      return;
    }
    this.pump.push({ frame, at: performance.now() });
  }

  private async stylize(frame: WrtcFrame, at: number): Promise<void> {
    const started = performance.now();
    const packed = this.packedSource;
    const dropped = this.pump.dropped - this.dropsSeen;
    this.dropsSeen = this.pump.dropped;
    const out = await this.engine.process(frame, !!packed, dropped);
    if (this.#closed || !this.source) return;
    const before = this.stats.lastReport;
    if (before && before.degradation !== out.report.degradation) {
      this.log.info(
        {
          from: before.degradation,
          to: out.report.degradation,
          tier: out.report.tier,
          size: `${out.width}x${out.height}`,
        },
        'degradation level changed',
      );
    }
    const t = performance.now();
    const colour = { width: out.width, height: out.height, data: out.data };
    if (!this.returnPaused) this.source.onFrame(colour);
    const up = this.uplinkSource;
    if (packed && out.mask && packed === this.packedSource) packed.onFrame(this.pack(out, out.mask));
    else if (up && !packed) up.onFrame(colour);
    this.stats.frameOut(out.report, started - at, performance.now() - t);
  }

  private startWatchdog(): void {
    this.watchdog = setInterval(() => {
      const now = Date.now();
      if (!this.lastFrameAt && now - this.createdAt > this.opts.connectTimeoutMs) this.close('connect_timeout');
      else if (this.lastFrameAt && now - this.lastFrameAt > this.opts.mediaTimeoutMs) this.close('media_timeout');
    }, 1000);
    this.watchdog.unref();
  }

  /** The last second's figures, for the client's HUD. */
  snapshot(): StatsMsg {
    const dropsNow = this.pump.dropped;
    const w = this.stats.roll(dropsNow - this.dropsReported);
    this.dropsReported = dropsNow;
    const r = this.stats.lastReport;
    return {
      sessionId: this.id,
      fpsIn: w.fpsIn,
      fpsOut: w.fpsOut,
      drops: w.drops,
      dropsTotal: dropsNow,
      width: this.stats.width,
      height: this.stats.height,
      stages: w.stages,
      engineP95: w.engineP95,
      tier: this.echo ? 'echo' : (r?.tier ?? '-'),
      r: r?.r ?? 0,
      degradation: r?.degradation ?? 0,
      mask: r?.mask ?? '-',
      ...this.options,
      foreground: this.engine.fg,
      background: this.engine.bg,
    };
  }

  get connected(): boolean {
    return this.pc?.iceConnectionState === 'connected' || this.pc?.iceConnectionState === 'completed';
  }

  private releasePeer(): void {
    try {
      if (this.sink) {
        this.sink.onframe = null;
        this.sink.stop();
      }
    } catch {
      /* already stopped */
    }
    try {
      this.outTrack?.stop();
    } catch {
      /* already stopped */
    }
    if (this.pc) {
      this.pc.onicecandidate = null;
      this.pc.ontrack = null;
      this.pc.oniceconnectionstatechange = null;
      this.pc.onconnectionstatechange = null;
      try {
        this.pc.close();
      } catch {
        /* already closed */
      }
      this.opts.census.peerClosed();
    }
    this.sink = null;
    this.outTrack = null;
    this.source = null;
    this.pc = null;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Why the session ended ('' while it runs). */
  get closeReason(): string {
    return this.#closeReason;
  }

  /** Releases everything the session owns; safe to call more than once. */
  close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeReason = reason;
    if (this.watchdog) clearInterval(this.watchdog);
    this.setReturnVideo(true);
    this.pump.close();
    void this.uplinkP?.then(
      (u) => u.close(),
      () => {},
    );
    this.releasePeer();
    void this.engine.close();
    this.log.info(
      { reason, framesIn: this.stats.framesInTotal, framesOut: this.stats.framesOutTotal, drops: this.pump.dropped },
      'session closed',
    );
    this.emit('closed', reason);
  }
}
