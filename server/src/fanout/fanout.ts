// The SFU seen by the rest of the server: publishers (one uplink each: the stylized stream
// as RTP, encoded once) in rooms, and viewers, each one WebRTC peer negotiated by an SDP
// offer from the server and an answer from the viewer. Two implementations: mediasoup (the
// production SFU, a native worker) and werift (pure TypeScript; the fallback when no
// mediasoup worker can start).
import type { Uplink } from '../media/uplink.js';

export interface ViewerSignal {
  /** a server ICE candidate for the viewer (werift; mediasoup is ICE-lite and sends none) */
  ice(c: { candidate: string; sdpMid: string | null; sdpMLineIndex: number | null }): void;
  /** the viewer's peer went away (failed, vanished, or its publisher left) */
  closed(reason: string): void;
}

export interface FanoutCensus {
  rooms: number;
  publishers: number;
  viewers: number;
}

export class FanoutError extends Error {
  constructor(
    readonly code: 'no_publisher' | 'no_viewer' | 'bad_sdp',
    message: string,
  ) {
    super(message);
  }
}

export interface Fanout {
  readonly kind: 'mediasoup' | 'werift';
  /** `alpha`: the uplink carries the mask packed beside the colour (told to viewers) */
  publish(room: string, publisherId: string, uplink: Uplink, alpha?: boolean): void;
  unpublish(room: string, publisherId: string): void;
  publishers(room: string): string[];
  /** viewers of all publishers in `room` */
  viewerCount(room: string): number;
  /** A new viewer of one publisher: its id and the server's SDP offer. */
  view(
    room: string,
    publisherId: string,
    signal: ViewerSignal,
  ): Promise<{ viewerId: string; offer: string; alpha: boolean }>;
  answer(viewerId: string, sdp: string): Promise<void>;
  addIce(
    viewerId: string,
    c: { candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null },
  ): Promise<void>;
  leave(viewerId: string): void;
  census(): FanoutCensus;
  close(): void;
}
