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
import { SessionUplink } from './session_uplink.js';
import type { Uplink } from './uplink.js';
import { FramePump } from './frame_pump.js';
import type { MediaCensus } from './media_census.js';
import { bitrateRange, looksLikeVideoOffer, mungeBitrate, preferReceiverEstimate } from './sdp.js';
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
  lowresTotalMs: 0,
  totalMs: 0,
  tier: 'global',
  bestTier: 'global',
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
  /** the stylized stream for the SFU, when the session publishes into a room */
  private readonly sfuLeg: SessionUplink;
  /** the publisher watches itself through the SFU: the return leg encodes nothing meanwhile */
  private returnPaused = false;
  private readonly createdAt = Date.now();
  #closed = false;
  #closeReason = '';
  /** the stylizer's CPU ms per second of video over the last stats window */
  #cpuMsPerS = 0;

  private constructor(
    readonly id: string,
    private readonly engine: EngineHandle,
    private readonly opts: MediaOptions,
    readonly log: Logger,
    readonly echo: boolean,
    private readonly pixels: number,
  ) {
    super();
    this.sfuLeg = new SessionUplink({ startBitrateKbps: opts.startBitrateKbps, pixels, census: opts.census });
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
      await pc.setRemoteDescription({ type: 'offer', sdp: preferReceiverEstimate(mungeBitrate(sdp, range)) });
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
   * The session's stylized stream as RTP for the SFU (session_uplink.ts): opened on first use,
   * closed with the session; `alpha` packs the speaker mask beside the colour.
   */
  async uplink(alpha = false): Promise<Uplink> {
    if (this.#closed) throw new SessionError('internal', 'session closed');
    if (!this.source) throw new SessionError('internal', 'the session is not streaming yet: send the offer first');
    return this.sfuLeg.open(alpha);
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
    const dropped = this.pump.dropped - this.dropsSeen;
    this.dropsSeen = this.pump.dropped;
    const out = await this.engine.process(frame, this.sfuLeg.wantsMask, dropped);
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
    this.sfuLeg.push(colour, out.mask);
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
    this.#cpuMsPerS = w.cpuMsPerS;
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
      frameMs: w.frameMs,
      backgroundMs: w.backgroundMs,
      cpuMsPerS: w.cpuMsPerS,
      tier: this.echo ? 'echo' : (r?.tier ?? '-'),
      bestTier: this.echo ? 'echo' : (r?.bestTier ?? '-'),
      r: r?.r ?? 0,
      degradation: r?.degradation ?? 0,
      mask: r?.mask ?? '-',
      ...(r?.artistic ? { artistic: r.artistic } : {}),
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

  /** The stylizer's CPU ms per second of video over the last stats window (sent with `stats`). */
  get cpuMsPerS(): number {
    return this.#cpuMsPerS;
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
    this.sfuLeg.close();
    this.releasePeer();
    void this.engine.close();
    this.log.info(
      { reason, framesIn: this.stats.framesInTotal, framesOut: this.stats.framesOutTotal, drops: this.pump.dropped },
      'session closed',
    );
    this.emit('closed', reason);
  }
}
