// Watches one participant of a room through the server's SFU: asks for a viewer peer over
// the socket (`view`), answers the server's offer, trickles ICE both ways, and starts over
// by itself when the stream ends, the socket reconnects, or nobody publishes yet.
import { call, type CallError, type RestyleSocket } from './socket_link';

export type ViewerState = 'connecting' | 'waiting' | 'live' | 'unauthorized' | 'error';

export interface ViewerEvents {
  state(s: ViewerState, detail: string): void;
  /** alpha: the stream is packed (colour left, mask right) */
  stream(s: MediaStream | null, alpha: boolean): void;
}

const RETRY_MS = 2000;

export class RoomViewer {
  private pc: RTCPeerConnection | null = null;
  private viewerId: string | null = null;
  private held: RTCIceCandidateInit[] | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  /** a `view` request is in flight: a second one would make a second server viewer */
  private asking = false;
  participant: string | null = null;

  /** the server's id of the current viewer peer (null between peers) */
  get id(): string | null {
    return this.viewerId;
  }

  constructor(
    private readonly socket: RestyleSocket,
    private readonly room: string,
    private readonly token: string,
    private readonly wanted: string | null,
    private readonly ev: ViewerEvents,
  ) {
    socket.on('viewIce', (m) => {
      if (m.viewerId !== this.viewerId || !m.candidate) return;
      const c = { candidate: m.candidate, sdpMid: m.sdpMid ?? null, sdpMLineIndex: m.sdpMLineIndex ?? null };
      if (this.held) this.held.push(c);
      else void this.pc?.addIceCandidate(c).catch(() => {});
    });
    socket.on('viewClosed', (m) => {
      if (m.viewerId === this.viewerId) this.restart(`stream ended (${m.reason})`);
    });
    socket.on('roomChanged', (m) => {
      if (m.room === room && !this.pc) this.retry(0);
    });
    socket.on('connect', () => this.retry(0));
    socket.on('disconnect', () => this.teardown());
  }

  start(): void {
    if (this.socket.connected) this.retry(0);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.viewerId) this.socket.emit('unview', { viewerId: this.viewerId });
    this.teardown();
  }

  private retry(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.connect();
    }, ms);
  }

  private restart(why: string): void {
    this.teardown();
    this.ev.state('connecting', why);
    this.retry(1000);
  }

  private async connect(): Promise<void> {
    if (this.pc || this.asking || this.stopped) return;
    this.ev.state('connecting', 'connecting…');
    this.asking = true;
    const ack = await call(this.socket, 'view', {
      room: this.room,
      token: this.token,
      ...(this.wanted ? { participant: this.wanted } : {}),
    }).finally(() => (this.asking = false));
    if (!ack.ok || !ack.data) return this.failed(ack.error);
    // stopped while asking: the server's viewer is not wanted any more
    if (this.stopped || this.pc) return void this.socket.emit('unview', { viewerId: ack.data.viewerId });
    const { viewerId, offer, participant, alpha, iceServers } = ack.data;
    this.viewerId = viewerId;
    this.participant = participant;
    const pc = new RTCPeerConnection({ iceServers });
    this.pc = pc;
    this.held = [];
    pc.ontrack = (e) => this.ev.stream(e.streams[0] ?? new MediaStream([e.track]), alpha);
    pc.onicecandidate = (e) => {
      if (e.candidate?.candidate)
        this.socket.emit('viewIce', {
          viewerId,
          candidate: e.candidate.candidate,
          sdpMid: e.candidate.sdpMid,
          sdpMLineIndex: e.candidate.sdpMLineIndex,
        });
    };
    pc.onconnectionstatechange = () => {
      if (pc !== this.pc) return;
      if (pc.connectionState === 'connected') this.ev.state('live', participant);
      if (pc.connectionState === 'failed') this.restart('connection failed');
    };
    try {
      await pc.setRemoteDescription({ type: 'offer', sdp: offer });
      if (pc !== this.pc) return; // torn down meanwhile
      for (const c of this.held ?? []) await pc.addIceCandidate(c).catch(() => {});
      this.held = null;
      await pc.setLocalDescription(await pc.createAnswer());
      const a = await call(this.socket, 'viewAnswer', { viewerId, sdp: pc.localDescription!.sdp });
      if (!a.ok) this.failed(a.error);
    } catch (e) {
      this.failed({ code: 'internal', message: (e as Error).message });
    }
  }

  private failed(err: CallError | undefined): void {
    // a viewer the server made but this page could not use (bad offer, answer refused)
    if (this.viewerId && this.socket.connected) this.socket.emit('unview', { viewerId: this.viewerId });
    this.teardown();
    const code = err?.code ?? 'internal',
      message = err?.message ?? 'failed';
    if (code === 'unauthorized') {
      this.ev.state('unauthorized', message);
      return;
    } // a new token is needed
    this.ev.state(code === 'no_publisher' ? 'waiting' : 'error', message);
    this.retry(RETRY_MS);
  }

  private teardown(): void {
    if (this.pc) {
      this.pc.ontrack = null;
      this.pc.onicecandidate = null;
      this.pc.onconnectionstatechange = null;
      this.pc.close();
    }
    this.pc = null;
    this.viewerId = null;
    this.held = null;
    this.ev.stream(null, false);
  }
}
