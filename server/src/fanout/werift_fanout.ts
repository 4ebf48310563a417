// The fallback SFU, in pure TypeScript (no native worker): a room's publishers' uplinks
// (RTP of each stylized stream, encoded once) are forwarded packet by packet to werift peer
// connections, one per viewer; viewers' keyframe requests (PLI) go back to the publisher's
// encoder. Chosen automatically when no mediasoup worker can start; a viewer's peer is
// released when it leaves, when its ICE fails, after 10 s disconnected, or when it has sent
// no RTCP for 6 s (it vanished).
import { MediaStreamTrack, RTCPeerConnection } from 'werift';
import { FanoutError, type Fanout, type FanoutCensus, type ViewerSignal } from './fanout.js';
import type { Uplink } from './uplink.js';
import { VP8_CODEC } from './uplink.js';

interface Viewer {
  id: string;
  room: string;
  publisher: string;
  pc: RTCPeerConnection;
  signal: ViewerSignal;
  unsubscribe: () => void;
  lost: NodeJS.Timeout | null;
  packets: number;
  /** when the viewer last sent RTCP (receiver reports come every second or so) */
  lastRtcp: number;
}

interface Publisher { id: string; uplink: Uplink; viewers: Set<Viewer>; alpha: boolean }

const LOST_AFTER_MS = 10_000;
/** a connected viewer that sent no RTCP for this long has vanished */
const SILENT_AFTER_MS = 6_000;

export class WeriftFanout implements Fanout {
  readonly kind = 'werift' as const;
  private readonly rooms = new Map<string, Map<string, Publisher>>();
  private readonly viewers = new Map<string, Viewer>();
  private nextId = 1;

  private readonly watchdog: NodeJS.Timeout;

  /** `hostAddresses`: addresses to offer ICE candidates on besides werift's own choice. */
  constructor(private readonly hostAddresses: string[] = []) {
    // werift's ICE does not notice a peer that vanished: its RTCP stopping does
    this.watchdog = setInterval(() => {
      const now = Date.now();
      for (const v of [...this.viewers.values()]) if (v.lastRtcp && now - v.lastRtcp > SILENT_AFTER_MS) this.drop(v, 'vanished');
    }, 1000);
    this.watchdog.unref();
  }

  /** `alpha`: the uplink carries the mask packed beside the colour (told to viewers). */
  publish(room: string, publisherId: string, uplink: Uplink, alpha = false): void {
    let r = this.rooms.get(room);
    if (!r) { r = new Map(); this.rooms.set(room, r); }
    this.unpublish(room, publisherId);
    r.set(publisherId, { id: publisherId, uplink, viewers: new Set(), alpha });
  }

  unpublish(room: string, publisherId: string): void {
    const r = this.rooms.get(room), p = r?.get(publisherId);
    if (!r || !p) return;
    for (const v of [...p.viewers]) this.drop(v, 'publisher left');
    r.delete(publisherId);
    if (!r.size) this.rooms.delete(room);
  }

  /** Publishers in a room (ids). */
  publishers(room: string): string[] { return [...(this.rooms.get(room)?.keys() ?? [])]; }

  /** A new viewer of one publisher: returns its id and the server's SDP offer. */
  async view(room: string, publisherId: string, signal: ViewerSignal): Promise<{ viewerId: string; offer: string; alpha: boolean }> {
    const p = this.rooms.get(room)?.get(publisherId);
    if (!p) throw new FanoutError('no_publisher', `nobody publishes "${publisherId}" in room "${room}"`);
    const pc = new RTCPeerConnection({ codecs: { video: [VP8_CODEC()] }, iceAdditionalHostAddresses: this.hostAddresses, iceUseIpv6: false });
    const track = new MediaStreamTrack({ kind: 'video' });
    const tr = pc.addTransceiver(track, { direction: 'sendonly' });
    const v: Viewer = {
      id: `v${this.nextId++}`, room, publisher: publisherId, pc, signal, lost: null, packets: 0, lastRtcp: 0,
      unsubscribe: p.uplink.onRtp((pkt) => { if (pc.iceConnectionState === 'connected') { v.packets++; track.writeRtp(pkt); } }),
    };
    tr.sender.onPictureLossIndication.subscribe(() => p.uplink.requestKeyframe());
    tr.sender.onRtcp.subscribe(() => { v.lastRtcp = Date.now(); });
    pc.onIceCandidate.subscribe((c) => { if (c?.candidate) signal.ice({ candidate: c.candidate, sdpMid: c.sdpMid ?? null, sdpMLineIndex: c.sdpMLineIndex ?? null }); });
    pc.iceConnectionStateChange.subscribe((st) => {
      if (st === 'connected') {
        if (v.lost) { clearTimeout(v.lost); v.lost = null; }
        v.lastRtcp = Date.now();
        p.uplink.requestKeyframe(); // the viewer starts on a keyframe
      } else if (st === 'failed' || st === 'closed') this.drop(v, `ice ${st}`);
      else if (st === 'disconnected' && !v.lost) v.lost = setTimeout(() => this.drop(v, 'vanished'), LOST_AFTER_MS);
    });
    p.viewers.add(v);
    this.viewers.set(v.id, v);
    await pc.setLocalDescription(await pc.createOffer());
    return { viewerId: v.id, offer: pc.localDescription!.sdp, alpha: p.alpha };
  }

  async answer(viewerId: string, sdp: string): Promise<void> {
    const v = this.need(viewerId);
    try {
      await v.pc.setRemoteDescription({ type: 'answer', sdp });
    } catch (e) {
      throw new FanoutError('bad_sdp', `answer rejected: ${(e as Error).message}`);
    }
  }

  async addIce(viewerId: string, c: { candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null }): Promise<void> {
    await this.need(viewerId).pc.addIceCandidate({ candidate: c.candidate, sdpMid: c.sdpMid ?? undefined, sdpMLineIndex: c.sdpMLineIndex ?? undefined });
  }

  leave(viewerId: string): void {
    const v = this.viewers.get(viewerId);
    if (v) this.drop(v, 'left');
  }

  /** RTP packets forwarded to a viewer so far. */
  forwarded(viewerId: string): number { return this.need(viewerId).packets; }

  census(): FanoutCensus {
    let publishers = 0;
    for (const r of this.rooms.values()) publishers += r.size;
    return { rooms: this.rooms.size, publishers, viewers: this.viewers.size };
  }

  close(): void {
    clearInterval(this.watchdog);
    for (const [room, r] of [...this.rooms]) for (const id of [...r.keys()]) this.unpublish(room, id);
  }

  private need(viewerId: string): Viewer {
    const v = this.viewers.get(viewerId);
    if (!v) throw new FanoutError('no_viewer', `no viewer ${viewerId}`);
    return v;
  }

  private drop(v: Viewer, reason: string): void {
    if (!this.viewers.delete(v.id)) return;
    if (v.lost) clearTimeout(v.lost);
    v.unsubscribe();
    this.rooms.get(v.room)?.get(v.publisher)?.viewers.delete(v);
    void v.pc.close().catch(() => {});
    v.signal.closed(reason);
  }
}
