// The stylized track of a publishing session, as RTP inside the server: a loopback WebRTC leg
// from the session's wrtc video source (libwebrtc encodes it once, VP8) to a werift peer that
// hands every received RTP packet to the SFU. However many viewers the SFU serves, this is the
// one extra encode per publisher. Keyframe requests from viewers come back as PLIs sent to
// the wrtc encoder over the same leg.
import type { RtpPacket } from 'werift';
import { RTCPeerConnection, RTCRtpCodecParameters, type MediaStreamTrack, type RTCRtpReceiver } from 'werift';
import { mungeBitrate, type BitrateRange } from './sdp.js';
import type { MediaCensus } from './media_census.js';
import { wrtc, type WrtcPeerConnection, type WrtcTrack, type WrtcVideoSource } from './wrtc.js';

/** VP8 as the SFUs forward it (wrtc and werift share no H.264 here). */
export const VP8_CODEC = () =>
  new RTCRtpCodecParameters({
    mimeType: 'video/VP8',
    clockRate: 90000,
    rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'goog-remb' }],
  });

/** Keeps only loopback ICE candidates: the leg never leaves the machine. */
export function loopbackOnly(sdp: string): string {
  return sdp
    .split(/\r\n/)
    .filter((l) => !l.startsWith('a=candidate:') || / 127\.0\.0\.1 /.test(l))
    .join('\r\n');
}
const isLoopback = (c: string) => / 127\.0\.0\.1 /.test(c);

export interface UplinkOptions {
  bitrate: BitrateRange;
  connectTimeoutMs: number;
  /** counts the uplink's encoder while it is open */
  census: MediaCensus;
}

export class Uplink {
  private readonly pub: WrtcPeerConnection;
  private readonly sub: RTCPeerConnection;
  private readonly track: WrtcTrack;
  private receiver: RTCRtpReceiver | null = null;
  private remoteSsrc = 0;
  #payloadType = 0;
  private readonly listeners = new Set<(p: RtpPacket) => void>();
  #packets = 0;
  #closed = false;

  private constructor(
    source: WrtcVideoSource,
    private readonly opts: UplinkOptions,
  ) {
    this.track = source.createTrack();
    this.pub = new wrtc.RTCPeerConnection();
    this.pub.addTrack(this.track);
    this.sub = new RTCPeerConnection({
      codecs: { video: [VP8_CODEC()] },
      iceAdditionalHostAddresses: ['127.0.0.1'],
      iceUseIpv6: false,
    });
    opts.census.uplinkOpened();
  }

  /** Opens the leg and resolves when the first RTP packet arrived. */
  static async open(source: WrtcVideoSource, opts: UplinkOptions): Promise<Uplink> {
    const u = new Uplink(source, opts);
    try {
      await u.connect();
      return u;
    } catch (e) {
      u.close();
      throw e;
    }
  }

  private async connect(): Promise<void> {
    const { pub, sub } = this;
    const first = new Promise<void>((resolve) => {
      sub.onTrack.subscribe((t: MediaStreamTrack) => {
        t.onReceiveRtp.subscribe((p) => {
          this.remoteSsrc = p.header.ssrc;
          this.#payloadType = p.header.payloadType;
          if (!this.#packets++) resolve();
          for (const l of this.listeners) l(p);
        });
      });
    });
    const tr = sub.addTransceiver('video', { direction: 'recvonly' });
    this.receiver = tr.receiver;
    pub.onicecandidate = (e) => {
      if (e.candidate?.candidate && isLoopback(e.candidate.candidate))
        sub
          .addIceCandidate({
            candidate: e.candidate.candidate,
            sdpMid: e.candidate.sdpMid ?? undefined,
            sdpMLineIndex: e.candidate.sdpMLineIndex ?? undefined,
          })
          .catch(() => {});
    };
    sub.onIceCandidate.subscribe((c) => {
      if (c?.candidate && isLoopback(c.candidate))
        pub
          .addIceCandidate({ candidate: c.candidate, sdpMid: c.sdpMid ?? null, sdpMLineIndex: c.sdpMLineIndex ?? null })
          .catch(() => {});
    });
    const range = this.opts.bitrate;
    const offer = await sub.createOffer();
    await sub.setLocalDescription(offer);
    await pub.setRemoteDescription({
      type: 'offer',
      sdp: loopbackOnly(mungeBitrate(sub.localDescription!.sdp, range)),
    });
    const answer = await pub.createAnswer();
    await pub.setLocalDescription(answer);
    await sub.setRemoteDescription({
      type: 'answer',
      sdp: loopbackOnly(mungeBitrate(pub.localDescription!.sdp, range)),
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`uplink: no RTP within ${this.opts.connectTimeoutMs} ms`)),
        this.opts.connectTimeoutMs,
      );
    });
    try {
      await Promise.race([first, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Every RTP packet of the stylized stream; returns the unsubscribe function. */
  onRtp(fn: (p: RtpPacket) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** The encoder's RTP payload type (known once the first packet arrived). */
  get payloadType(): number {
    return this.#payloadType;
  }

  /** RTP packets received from the encoder so far. */
  get packets(): number {
    return this.#packets;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The encoder's SSRC (known once the first packet arrived). */
  get ssrc(): number {
    return this.remoteSsrc;
  }

  /** Asks the encoder for a keyframe (a new viewer, or a viewer's PLI). */
  requestKeyframe(): void {
    if (!this.#closed && this.receiver && this.remoteSsrc) this.receiver.sendRtcpPLI(this.remoteSsrc).catch(() => {});
  }

  /** Frames the uplink's encoder produced (from libwebrtc's stats). */
  async framesEncoded(): Promise<number> {
    let n = 0;
    (await this.pub.getStats()).forEach((r) => {
      if (r.type === 'outbound-rtp' && r.kind === 'video') n += r.framesEncoded ?? 0;
    });
    return n;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.listeners.clear();
    try {
      this.track.stop();
    } catch {
      /* stopped */
    }
    this.pub.onicecandidate = null;
    try {
      this.pub.close();
    } catch {
      /* closed */
    }
    void this.sub.close().catch(() => {});
    this.opts.census.uplinkClosed();
  }
}
