// The SFU seen by the rest of the server: publishers (one uplink each: the stylized stream
// as RTP, encoded once) in rooms, and viewers, each one WebRTC peer negotiated by an SDP
// offer from the server and an answer from the viewer. Two implementations: mediasoup (the
// production SFU, a native worker) and werift (pure TypeScript; the fallback when no
// mediasoup worker can start).
import type { Uplink } from '../media/uplink.js';
import type { PipeSource, PipeTuple } from './pipe_params.js';

export interface ViewerSignal {
  /** a server ICE candidate for the viewer (werift; mediasoup is ICE-lite and sends none) */
  ice(c: { candidate: string; sdpMid: string | null; sdpMLineIndex: number | null }): void;
  /** the viewer's peer went away (failed, vanished, or its publisher left) */
  closed(reason: string): void;
}

/** A viewer's ICE candidate as the socket delivers it (validated at the edge: shared/protocol.ts). */
export interface IceCandidate {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
}

export interface FanoutCensus {
  rooms: number;
  publishers: number;
  viewers: number;
  /** pipes to other nodes (a cluster): ends sending a publisher out, and mirrors of other nodes' publishers */
  pipes?: { sources: number; mirrors: number };
}

export class FanoutError extends Error {
  constructor(
    readonly code: 'no_publisher' | 'no_viewer' | 'bad_sdp',
    message: string,
  ) {
    super(message);
  }
}

/**
 * A publisher's stream between SFUs on different hosts (mediasoup PipeTransports, SRTP): the
 * publishing node consumes the producer into a pipe (`openSource`), the viewer's node makes
 * its end first (`openMirror`), then produces what comes through it as a local publisher of
 * the same room and name (`MirrorPipe.complete`), whose viewers are served like any other.
 */
export interface FanoutPipes {
  openSource(room: string, publisherId: string, pipeId: string, remote: PipeTuple): Promise<PipeSource>;
  openMirror(pipeId: string): Promise<MirrorPipe>;
  /** Closes either end (nothing if already closed). */
  close(pipeId: string): void;
  /** Called once per pipe end that closed by itself (its publisher or mirror left), not for close(). */
  onClosed(fn: (pipeId: string, reason: string) => void): void;
  census(): { sources: number; mirrors: number };
  /** bytes sent into pipes so far (sources), for the cluster bench */
  bytesOut(): Promise<number>;
}

export interface MirrorPipe {
  readonly local: PipeTuple;
  /** Connects to the source's end and publishes the stream as `publisherId` in `room`. */
  complete(room: string, publisherId: string, source: PipeSource): Promise<void>;
}

export interface Fanout {
  readonly kind: 'mediasoup' | 'werift';
  /** pipes to other nodes' SFUs (mediasoup only; null: rooms stay on this node) */
  readonly pipes: FanoutPipes | null;
  /** viewers of one publisher on this node */
  viewersOf(room: string, publisherId: string): number;
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
  addIce(viewerId: string, c: IceCandidate): Promise<void>;
  leave(viewerId: string): void;
  census(): FanoutCensus;
  close(): void;
}
