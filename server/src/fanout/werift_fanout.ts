// The fallback SFU, in pure TypeScript (no native worker): a room's publishers' uplinks
// (RTP of each stylized stream, encoded once) are forwarded packet by packet to werift peer
// connections, one per viewer; viewers' keyframe requests (PLI) go back to the publisher's
// encoder. Chosen automatically when no mediasoup worker can start; a viewer's peer is
// released when it leaves, when its ICE fails, after 10 s disconnected, or when it has sent
// no RTCP for 6 s (it vanished).
import { MediaStreamTrack, RTCPeerConnection } from 'werift';
import { FanoutError, type Fanout, type IceCandidate, type ViewerSignal } from './fanout.js';
import { RoomBook, type BookPublisher, type BookViewer } from './room_book.js';
import type { Uplink } from '../media/uplink.js';
import { VP8_CODEC } from '../media/uplink.js';

interface Viewer extends BookViewer {
  pc: RTCPeerConnection;
  unsubscribe: () => void;
  lost: NodeJS.Timeout | null;
  /** when the viewer last sent RTCP (receiver reports come every second or so) */
  lastRtcp: number;
}

interface Publisher extends BookPublisher<Viewer> {
  uplink: Uplink;
}

const LOST_AFTER_MS = 10_000;
/** a connected viewer that sent no RTCP for this long has vanished */
const SILENT_AFTER_MS = 6_000;

export class WeriftFanout extends RoomBook<Publisher, Viewer> implements Fanout {
  readonly kind = 'werift' as const;
  /** the werift SFU stays on its node: no pipes between hosts */
  readonly pipes = null;
  private readonly watchdog: NodeJS.Timeout;

  /** `hostAddresses`: addresses to offer ICE candidates on besides werift's own choice. */
  constructor(private readonly hostAddresses: string[] = []) {
    super();
    // werift's ICE does not notice a peer that vanished: its RTCP stopping does
    this.watchdog = setInterval(() => {
      const now = Date.now();
      for (const v of [...this.viewers.values()])
        if (v.lastRtcp && now - v.lastRtcp > SILENT_AFTER_MS) this.drop(v, 'vanished');
    }, 1000);
    this.watchdog.unref();
  }

  /** `alpha`: the uplink carries the mask packed beside the colour (told to viewers). */
  publish(room: string, publisherId: string, uplink: Uplink, alpha = false): void {
    this.addPublisher(room, { id: publisherId, uplink, viewers: new Set(), alpha });
  }

  /** A new viewer of one publisher: returns its id and the server's SDP offer. */
  async view(
    room: string,
    publisherId: string,
    signal: ViewerSignal,
  ): Promise<{ viewerId: string; offer: string; alpha: boolean }> {
    const p = this.publisher(room, publisherId);
    const pc = new RTCPeerConnection({
      codecs: { video: [VP8_CODEC()] },
      iceAdditionalHostAddresses: this.hostAddresses,
      iceUseIpv6: false,
    });
    const track = new MediaStreamTrack({ kind: 'video' });
    const tr = pc.addTransceiver(track, { direction: 'sendonly' });
    const v: Viewer = {
      id: this.newViewerId(),
      room,
      publisher: publisherId,
      pc,
      signal,
      lost: null,
      lastRtcp: 0,
      unsubscribe: p.uplink.onRtp((pkt) => {
        if (pc.iceConnectionState === 'connected') track.writeRtp(pkt);
      }),
    };
    tr.sender.onPictureLossIndication.subscribe(() => p.uplink.requestKeyframe());
    tr.sender.onRtcp.subscribe(() => {
      v.lastRtcp = Date.now();
    });
    pc.onIceCandidate.subscribe((c) => {
      if (c?.candidate)
        signal.ice({ candidate: c.candidate, sdpMid: c.sdpMid ?? null, sdpMLineIndex: c.sdpMLineIndex ?? null });
    });
    pc.iceConnectionStateChange.subscribe((st) => {
      if (st === 'connected') {
        if (v.lost) {
          clearTimeout(v.lost);
          v.lost = null;
        }
        v.lastRtcp = Date.now();
        p.uplink.requestKeyframe(); // the viewer starts on a keyframe
      } else if (st === 'failed' || st === 'closed') this.drop(v, `ice ${st}`);
      else if (st === 'disconnected' && !v.lost) v.lost = setTimeout(() => this.drop(v, 'vanished'), LOST_AFTER_MS);
    });
    this.addViewer(p, v);
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

  async addIce(viewerId: string, c: IceCandidate): Promise<void> {
    await this.need(viewerId).pc.addIceCandidate({
      candidate: c.candidate,
      sdpMid: c.sdpMid ?? undefined,
      sdpMLineIndex: c.sdpMLineIndex ?? undefined,
    });
  }

  close(): void {
    clearInterval(this.watchdog);
    this.unpublishAll();
  }

  protected releaseViewer(v: Viewer): void {
    if (v.lost) clearTimeout(v.lost);
    v.unsubscribe();
    void v.pc.close().catch(() => {});
  }
}
