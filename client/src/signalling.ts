// The live session: socket.io signalling (start, offer/answer, trickle ICE, stop), the peer
// connection, and automatic recovery. A socket reconnect, a failed peer, a session the server
// ended or a full server all restart the session with exponential backoff (1 s, 2 s, 4 s …
// 10 s), keeping the chosen styles and mask options (sent again after every start). Every
// attempt has a generation number; work from an older attempt is dropped when it completes.
import type {
  ErrorMsg,
  MaskOptions,
  PublishAck,
  PublishMsg,
  Resolution,
  SetOptionsMsg,
  StatsMsg,
} from '../../shared/protocol';
import { Backoff } from './backoff';
import { Peer } from './peer';
import { call, connectSocket, type CallError, type CallResult, type RestyleSocket } from './socket_link';
import type { PageState, StyleApplied } from './test_hooks';
import { hooks } from './test_hooks';

export interface SessionSource {
  track(): MediaStreamTrack | null;
  styles(): { fg: string; bg: string };
  options(): MaskOptions;
  resolution(): Resolution;
  echo: boolean;
}

export interface SignallingEvents {
  state(s: PageState, text?: string): void;
  remoteStream(s: MediaStream | null): void;
  stats(m: StatsMsg): void;
  styleApplied(m: StyleApplied): void;
  stylesChanged(): void;
  /** `flash`: worth showing in the status line */
  error(e: CallError | ErrorMsg, flash: boolean): void;
  socketRtt(ms: number): void;
}

const DISCONNECTED_GRACE_MS = 3000;
const PING_EVERY_MS = 2000;
/** session ends the client caused itself (the server still reports them as errors) */
const EXPECTED_ENDS = new Set(['restarted', 'client stop']);

export class Signalling {
  readonly socket: RestyleSocket;
  private wanted = false;
  private gen = 0;
  private peer: Peer | null = null;
  private sessionId: string | null = null;
  private starting = false;
  private offerPending = false;
  private readonly backoff = new Backoff();
  private everConnected = false;
  private serverRestarting = false;
  private graceTimer: number | undefined;

  constructor(
    private readonly src: SessionSource,
    private readonly ev: SignallingEvents,
  ) {
    this.socket = connectSocket();
    this.wireSocket();
    window.setInterval(() => {
      void this.ping();
    }, PING_EVERY_MS);
  }

  get peerConnection(): RTCPeerConnection | null {
    return this.peer?.pc ?? null;
  }

  get running(): boolean {
    return this.wanted;
  }

  /** Go live (now, or as soon as the socket connects). */
  begin(): void {
    this.wanted = true;
    this.backoff.reset();
    void this.startSession();
  }

  /** Leave the session; nothing restarts until begin(). */
  end(): void {
    this.wanted = false;
    this.gen++;
    this.clearTimers();
    this.teardown();
    this.ev.state('stopped');
  }

  /** A new camera track or resolution: start over with it. */
  restart(): void {
    if (!this.wanted) return;
    this.backoff.reset();
    void this.startSession();
  }

  async setStyle(foreground: string, background: string, transitionMs: number): Promise<CallResult<undefined>> {
    if (!this.sessionId) return { ok: true }; // applied at the next start
    return call(this.socket, 'setStyle', { foreground, background, transitionMs });
  }

  /** Publishes the live session's stylized stream into a room (viewers, OBS pages). */
  async publish(m: PublishMsg): Promise<CallResult<PublishAck>> {
    return call(this.socket, 'publish', m);
  }

  async setOptions(o: SetOptionsMsg): Promise<CallResult<MaskOptions>> {
    if (!this.sessionId) return { ok: true }; // applied at the next start
    return call(this.socket, 'setOptions', o);
  }

  private wireSocket(): void {
    const s = this.socket;
    s.on('connect', () => {
      this.everConnected = true;
      this.serverRestarting = false;
      if (this.wanted) void this.startSession();
    });
    s.on('disconnect', (reason) => {
      this.gen++;
      this.clearTimers();
      this.teardown(false);
      if (this.wanted) this.ev.state('reconnecting', this.serverRestarting ? 'Server is restarting…' : undefined);
      if (reason === 'io server disconnect') this.backoff.schedule(() => s.connect());
    });
    s.on('connect_error', () => {
      if (this.wanted)
        this.ev.state(
          this.everConnected ? 'reconnecting' : 'connecting',
          this.serverRestarting
            ? 'Server is restarting…'
            : this.everConnected
              ? undefined
              : 'Connecting… (server unreachable, retrying)',
        );
    });
    s.on('shutdown', () => {
      this.serverRestarting = true;
      this.gen++;
      this.clearTimers();
      this.teardown(false);
      if (this.wanted) this.ev.state('reconnecting', 'Server is restarting…');
    });
    s.on('answer', (m) => {
      if (!this.peer || !this.offerPending) return;
      this.peer
        .setAnswer(m.sdp)
        .catch((e: unknown) => this.fail({ code: 'bad_sdp', message: `answer rejected: ${String(e)}` }));
    });
    s.on('ice', (m) => {
      this.peer
        ?.addRemoteCandidate(m)
        .catch((e: unknown) =>
          this.ev.error({ code: 'bad_candidate', message: `server candidate rejected: ${String(e)}` }, false),
        );
    });
    s.on('stats', (m) => {
      if (m.sessionId === this.sessionId) this.ev.stats(m);
    });
    s.on('styleApplied', (m) => this.ev.styleApplied(m));
    s.on('stylesChanged', () => this.ev.stylesChanged());
    s.on('error', (m) => this.onServerError(m));
  }

  private onServerError(m: ErrorMsg): void {
    const ended = /^session ended: (.*)$/.exec(m.message ?? '');
    if (!ended) {
      this.ev.error(m, true);
      return;
    }
    if (EXPECTED_ENDS.has(ended[1])) return;
    // while a start is in flight the message is about the previous session
    if (!this.wanted || this.starting || !this.sessionId) return;
    this.ev.error(m, false);
    this.retryLater();
  }

  private async startSession(): Promise<void> {
    this.clearTimers();
    const gen = ++this.gen;
    this.teardown();
    if (!this.wanted) return;
    if (!this.socket.connected) {
      this.ev.state(
        this.everConnected ? 'reconnecting' : 'connecting',
        this.serverRestarting ? 'Server is restarting…' : undefined,
      );
      return; // 'connect' starts it
    }
    const track = this.src.track();
    if (!track || track.readyState === 'ended') return;
    this.ev.state('connecting');
    const { fg, bg } = this.src.styles();
    this.starting = true;
    const started = await call(
      this.socket,
      'start',
      { fg, bg, resolution: this.src.resolution(), ...(this.src.echo ? { echo: true } : {}) },
      15_000,
    );
    if (gen !== this.gen) return;
    this.starting = false;
    if (!started.ok || !started.data) return this.startFailed(started.error);
    this.sessionId = started.data.sessionId;
    hooks.sessionId = this.sessionId;
    this.sendOptions(gen);
    try {
      const peer = new Peer(started.data.iceServers, track, {
        onCandidate: (c) => {
          void call(this.socket, 'ice', c).then((r) => {
            if (!r.ok && r.error && gen === this.gen) this.ev.error(r.error, false);
          });
        },
        onTrack: (stream) => {
          if (gen === this.gen) this.ev.remoteStream(stream);
        },
        onState: (st) => {
          if (gen === this.gen) this.onPeerState(st);
        },
      });
      this.peer = peer;
      const sdp = await peer.createOffer();
      if (gen !== this.gen) return;
      this.offerPending = true;
      const offered = await call(this.socket, 'offer', { type: 'offer', sdp }, 15_000);
      if (gen !== this.gen) return;
      this.offerPending = false;
      if (!offered.ok) return this.fail(offered.error);
      peer.releaseLocalCandidates();
    } catch (e) {
      if (gen === this.gen)
        this.fail({
          code: 'internal',
          message: `could not set up the connection: ${e instanceof Error ? e.message : String(e)}`,
        });
    }
  }

  /** A new session starts with the server's defaults: give it the current mask options. */
  private sendOptions(gen: number): void {
    const { maskMode, showMask } = this.src.options();
    void call(this.socket, 'setOptions', { maskMode, showMask, transitionMs: 0 }).then((r) => {
      if (!r.ok && r.error && gen === this.gen) this.ev.error(r.error, true);
    });
  }

  private startFailed(err: CallError | undefined): void {
    const e = err ?? { code: 'internal', message: 'start failed' };
    if (e.code === 'server_full') {
      this.ev.error(e, false);
      return this.retryLater('server-full');
    }
    if (e.code === 'shutting_down') {
      this.serverRestarting = true;
      return this.retryLater('reconnecting', 'Server is restarting…');
    }
    if (e.code === 'unknown_style' || e.code === 'bad_request') {
      this.ev.error(e, false);
      this.ev.state('error', e.message);
      return; // the owner fixes the request and calls restart()
    }
    this.fail(e);
  }

  /** A failure worth retrying: record it, show "Reconnecting…", back off. */
  private fail(e: CallError | undefined): void {
    if (e) this.ev.error(e, false);
    this.retryLater();
  }

  private onPeerState(st: RTCPeerConnectionState): void {
    window.clearTimeout(this.graceTimer);
    if (st === 'connected') {
      this.backoff.reset();
      this.ev.state('live', this.src.echo ? 'Live — echo (unstylized baseline)' : 'Live');
    } else if (st === 'failed') {
      this.retryLater();
    } else if (st === 'disconnected') {
      this.graceTimer = window.setTimeout(() => {
        if (this.peer && this.peer.state !== 'connected') this.retryLater();
      }, DISCONNECTED_GRACE_MS);
    }
  }

  private retryLater(kind: 'server-full' | 'reconnecting' = 'reconnecting', text?: string): void {
    if (!this.wanted) return;
    this.gen++;
    this.clearTimers();
    this.teardown();
    const again = (): void => {
      void this.startSession();
    };
    if (kind === 'server-full') {
      this.backoff.schedule(again, (s) =>
        this.ev.state('server-full', `Server busy: all stylizer slots are in use — retrying in ${s}s`),
      );
    } else {
      this.ev.state('reconnecting', text);
      this.backoff.schedule(again);
    }
  }

  /** Drops the peer and the session (telling the server when it can still hear us). */
  private teardown(tellServer = true): void {
    window.clearTimeout(this.graceTimer);
    this.starting = false;
    this.offerPending = false;
    if (this.sessionId && tellServer && this.socket.connected) void call(this.socket, 'stop', {});
    this.sessionId = null;
    hooks.sessionId = null;
    if (this.peer) {
      this.peer.close();
      this.peer = null;
      this.ev.remoteStream(null);
    }
  }

  private clearTimers(): void {
    this.backoff.cancel();
    window.clearTimeout(this.graceTimer);
  }

  private async ping(): Promise<void> {
    if (!this.socket.connected) return;
    const t = performance.now();
    const r = await call(this.socket, 'ping', { t }, 5000);
    if (r.ok) this.ev.socketRtt(performance.now() - (r.data?.t ?? t));
  }
}
