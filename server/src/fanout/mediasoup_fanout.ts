// The production SFU: one mediasoup worker (native, C++) and router. A publisher's uplink
// RTP enters through a DirectTransport producer (no socket: packets go over the worker's
// channel); each viewer gets a WebRtcTransport (ICE-lite, DTLS-SRTP) and a consumer,
// negotiated with plain SDP (consumer_sdp.ts); a viewer is released when it leaves, when
// DTLS fails, when its ICE consent lapses (8 s without checks), or when it has not connected
// 20 s after its offer (a page that went, or asked twice). Keyframe requests from
// consumers arrive as RTCP on the DirectTransport and go to the publisher's encoder. Across
// hosts (a cluster), publishers reach other nodes' routers through pipes (mediasoup_pipes.ts):
// a mirror publisher here is a pipe's producer, served to viewers like a local one.
import * as mediasoup from 'mediasoup';
import type { Consumer, Producer, Router, Transport, WebRtcTransport, Worker } from 'mediasoup/types';
import { answerDtls, consumerOffer } from './consumer_sdp.js';
import { FanoutError, type Fanout, type FanoutCensus, type ViewerSignal } from './fanout.js';
import { MediasoupPipes } from './mediasoup_pipes.js';
import { RoomBook, type BookPublisher, type BookViewer } from './room_book.js';
import type { Uplink } from '../media/uplink.js';

export interface MediasoupOptions {
  /** address the WebRtcTransports listen on, and the one they announce to browsers */
  listenIp: string;
  announcedAddress?: string;
  rtcMinPort: number;
  rtcMaxPort: number;
  /** a cluster: the address other nodes reach this node's pipes on (unset: no pipes, one node) */
  pipeAddress?: string;
}

interface Publisher extends BookPublisher<Viewer> {
  /** the DirectTransport of a local publisher's uplink (a mirror's pipe is closed by the pipes) */
  ready: Promise<{ transport: Transport | null; producer: Producer }>;
  off: (() => void) | null;
  /** a mirror (another node's publisher): runs when it leaves the book */
  released?: () => void;
}

interface Viewer extends BookViewer {
  transport: WebRtcTransport;
  consumer: Consumer;
  /** drops the viewer if its peer never connects (consent checks only start once it has) */
  deadline: NodeJS.Timeout;
}

const CONSENT_TIMEOUT_S = 8;
const CONNECT_TIMEOUT_MS = 20_000;
const RTCP_PSFB = 206;

export class MediasoupFanout extends RoomBook<Publisher, Viewer> implements Fanout {
  readonly kind = 'mediasoup' as const;
  readonly pipes: MediasoupPipes | null = null;

  private constructor(
    private readonly worker: Worker,
    private readonly router: Router,
    private readonly opts: MediasoupOptions,
  ) {
    super();
    if (!opts.pipeAddress) return;
    this.pipes = new MediasoupPipes(
      router,
      {
        producerOf: async (room, id) => {
          const p = this.publisher(room, id);
          return { producer: (await p.ready).producer, alpha: p.alpha };
        },
        publishMirror: (room, id, producer, alpha, released) => {
          const p: Publisher = {
            id,
            alpha,
            off: null,
            viewers: new Set(),
            ready: Promise.resolve({ transport: null, producer }),
            released,
          };
          this.addPublisher(room, p);
          return () => {
            if (this.isCurrent(room, p)) this.unpublish(room, id);
          };
        },
      },
      { ip: opts.listenIp, announced: opts.pipeAddress },
    );
  }

  /** Starts the worker (MEDIASOUP_WORKER_BIN or mediasoup's own path); throws when it cannot. */
  static async create(opts: MediasoupOptions, onDied: (e: Error) => void): Promise<MediasoupFanout> {
    const worker = await mediasoup.createWorker({
      logLevel: 'warn',
      rtcMinPort: opts.rtcMinPort,
      rtcMaxPort: opts.rtcMaxPort,
    });
    worker.on('died', onDied);
    const router = await worker.createRouter({
      mediaCodecs: [{ kind: 'video', mimeType: 'video/VP8', clockRate: 90000 }],
    });
    return new MediasoupFanout(worker, router, opts);
  }

  publish(room: string, publisherId: string, uplink: Uplink, alpha = false): void {
    const p: Publisher = { id: publisherId, alpha, off: null, viewers: new Set(), ready: null! };
    p.ready = (async () => {
      const transport = await this.router.createDirectTransport();
      const producer = await transport.produce({
        kind: 'video',
        rtpParameters: {
          codecs: [
            {
              mimeType: 'video/VP8',
              payloadType: uplink.payloadType,
              clockRate: 90000,
              rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }],
            },
          ],
          encodings: [{ ssrc: uplink.ssrc }],
        },
      });
      // PLI (fmt 1) or FIR (fmt 4) from the consumers: ask the publisher's encoder for a keyframe
      transport.on('rtcp', (buf: Buffer) => {
        for (let o = 0; o + 4 <= buf.length;) {
          const fmt = buf[o] & 0x1f,
            pt = buf[o + 1],
            len = (buf.readUInt16BE(o + 2) + 1) * 4;
          if (pt === RTCP_PSFB && (fmt === 1 || fmt === 4)) {
            uplink.requestKeyframe();
            break;
          }
          o += len;
        }
      });
      if (this.isCurrent(room, p))
        p.off = uplink.onRtp((pkt) => {
          if (!producer.closed) producer.send(pkt.serialize());
        });
      return { transport, producer };
    })();
    p.ready.catch(() => {});
    this.addPublisher(room, p);
  }

  protected override releasePublisher(p: Publisher): void {
    p.off?.();
    p.off = null;
    if (p.released) return p.released();
    void p.ready.then(
      ({ transport }) => transport?.close(),
      () => {},
    );
  }

  async view(
    room: string,
    publisherId: string,
    signal: ViewerSignal,
  ): Promise<{ viewerId: string; offer: string; alpha: boolean }> {
    const p = this.publisher(room, publisherId);
    const { producer } = await p.ready;
    const transport = await this.router.createWebRtcTransport({
      listenInfos: [{ protocol: 'udp', ip: this.opts.listenIp, announcedAddress: this.opts.announcedAddress }],
      enableUdp: true,
      enableTcp: false,
      // browsers refresh consent every ~5 s: 8 s without it and the viewer is gone
      iceConsentTimeout: CONSENT_TIMEOUT_S,
    });
    let consumer: Consumer;
    try {
      consumer = await transport.consume({
        producerId: producer.id,
        rtpCapabilities: this.router.rtpCapabilities,
        paused: false,
      });
    } catch (e) {
      transport.close();
      throw e;
    }
    const v: Viewer = {
      id: this.newViewerId(),
      room,
      publisher: publisherId,
      transport,
      consumer,
      signal,
      // a peer that never connects (its page went, or made another viewer instead) is released
      deadline: setTimeout(() => {
        if (transport.dtlsState !== 'connected') this.drop(v, 'never connected');
      }, CONNECT_TIMEOUT_MS).unref(),
    };
    transport.on('dtlsstatechange', (st) => {
      if (st === 'failed' || st === 'closed') this.drop(v, `dtls ${st}`);
    });
    // 'disconnected' comes after CONSENT_TIMEOUT_S without consent checks: the viewer vanished
    transport.on('icestatechange', (st) => {
      if (st === 'disconnected' || st === 'closed') this.drop(v, 'vanished');
    });
    consumer.on('producerclose', () => this.drop(v, 'publisher left'));
    this.addViewer(p, v);
    return {
      viewerId: v.id,
      offer: consumerOffer(transport, consumer.rtpParameters, `restyle-${publisherId}`),
      alpha: p.alpha,
    };
  }

  async answer(viewerId: string, sdp: string): Promise<void> {
    const v = this.need(viewerId);
    try {
      await v.transport.connect({ dtlsParameters: answerDtls(sdp) });
    } catch (e) {
      throw new FanoutError('bad_sdp', `answer rejected: ${(e as Error).message}`);
    }
    // the viewer starts on a keyframe
    void v.consumer.requestKeyFrame().catch(() => {});
  }

  /** mediasoup is ICE-lite: the browser's candidates are learned from its checks. */
  async addIce(viewerId: string): Promise<void> {
    this.need(viewerId);
  }

  close(): void {
    this.unpublishAll();
    this.pipes?.closeAll();
    this.worker.close();
  }

  override census(): FanoutCensus {
    return this.pipes ? { ...super.census(), pipes: this.pipes.census() } : super.census();
  }

  protected releaseViewer(v: Viewer): void {
    clearTimeout(v.deadline);
    v.transport.close();
  }
}
