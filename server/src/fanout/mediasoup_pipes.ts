// Pipes between this node's mediasoup router and other nodes' (a cluster: README "Cluster"):
// mediasoup's documented way across hosts, done by hand since pipeToRouter() only reaches
// routers of the same process. Each end is a PipeTransport (UDP on the cluster address, SRTP,
// RTX/NACK for a lossy link). The publishing node consumes its producer into a source end;
// the viewer's node produces what arrives at its mirror end and publishes it in its room book
// under the publisher's name, so its viewers are served like local ones (one encode in all).
// A pipe id names both ends; each node closes its own and tells the other over the bus.
import type { Consumer, PipeTransport, Producer, Router } from 'mediasoup/types';
import type { FanoutPipes, MirrorPipe } from './fanout.js';
import { PipeRtpParameters, type PipeSource, type PipeTuple } from './pipe_params.js';

/** What the pipes need of their SFU: a local publisher's producer, and a place for mirrors. */
export interface PipeHost {
  producerOf(room: string, publisherId: string): Promise<{ producer: Producer; alpha: boolean }>;
  /**
   * Publishes a mirror; `released` runs when it leaves the room book. Returns what takes it
   * out of the book (its viewers are told the publisher left).
   */
  publishMirror(
    room: string,
    publisherId: string,
    producer: Producer,
    alpha: boolean,
    released: () => void,
  ): () => void;
}

interface End {
  transport: PipeTransport;
  kind: 'source' | 'mirror';
  consumer?: Consumer;
  /** a published mirror: takes it out of the room book */
  unpublish?: () => void;
}

export class MediasoupPipes implements FanoutPipes {
  readonly #ends = new Map<string, End>();
  readonly #closedListeners: ((pipeId: string, reason: string) => void)[] = [];

  constructor(
    private readonly router: Router,
    private readonly host: PipeHost,
    /** the address the ends listen on, and the one other nodes reach them on */
    private readonly listen: { ip: string; announced: string },
  ) {}

  private async transport(): Promise<PipeTransport> {
    return this.router.createPipeTransport({
      listenInfo: { protocol: 'udp', ip: this.listen.ip, announcedAddress: this.listen.announced },
      enableSrtp: true,
      enableRtx: true,
    });
  }

  private tupleOf(t: PipeTransport): PipeTuple {
    const srtp = t.srtpParameters!;
    return { ip: this.listen.announced, port: t.tuple.localPort, srtp };
  }

  async openSource(room: string, publisherId: string, pipeId: string, remote: PipeTuple): Promise<PipeSource> {
    if (this.#ends.has(pipeId)) throw new Error(`pipe ${pipeId} exists`);
    const { producer, alpha } = await this.host.producerOf(room, publisherId);
    const transport = await this.transport();
    try {
      await transport.connect({ ip: remote.ip, port: remote.port, srtpParameters: remote.srtp });
      const consumer = await transport.consume({ producerId: producer.id });
      this.#ends.set(pipeId, { transport, kind: 'source', consumer });
      consumer.on('producerclose', () => this.ended(pipeId, 'publisher left'));
      transport.observer.on('close', () => this.ended(pipeId, 'closed'));
      return {
        ...this.tupleOf(transport),
        producerId: producer.id,
        rtpParameters: PipeRtpParameters.parse(consumer.rtpParameters),
        alpha,
      };
    } catch (e) {
      transport.close();
      this.#ends.delete(pipeId);
      throw e;
    }
  }

  async openMirror(pipeId: string): Promise<MirrorPipe> {
    if (this.#ends.has(pipeId)) throw new Error(`pipe ${pipeId} exists`);
    const transport = await this.transport();
    this.#ends.set(pipeId, { transport, kind: 'mirror' });
    transport.observer.on('close', () => this.ended(pipeId, 'closed'));
    return {
      local: this.tupleOf(transport),
      complete: async (room: string, publisherId: string, source: PipeSource) => {
        await transport.connect({ ip: source.ip, port: source.port, srtpParameters: source.srtp });
        const producer = await transport.produce({ kind: 'video', rtpParameters: source.rtpParameters });
        const end = this.#ends.get(pipeId);
        if (!end || transport.closed) throw new Error(`pipe ${pipeId} closed while opening`);
        end.unpublish = this.host.publishMirror(room, publisherId, producer, source.alpha, () => {
          end.unpublish = undefined; // it is leaving the book already
          this.ended(pipeId, 'mirror left');
        });
      },
    };
  }

  /** An end went away by itself (or its mirror left the room): close it and tell the listeners. */
  private ended(pipeId: string, reason: string): void {
    if (!this.release(pipeId)) return;
    for (const fn of this.#closedListeners) fn(pipeId, reason);
  }

  private release(pipeId: string): boolean {
    const e = this.#ends.get(pipeId);
    if (!e) return false;
    this.#ends.delete(pipeId);
    e.unpublish?.();
    e.transport.close();
    return true;
  }

  close(pipeId: string): void {
    this.release(pipeId);
  }

  onClosed(fn: (pipeId: string, reason: string) => void): void {
    this.#closedListeners.push(fn);
  }

  census(): { sources: number; mirrors: number } {
    let sources = 0;
    for (const e of this.#ends.values()) if (e.kind === 'source') sources++;
    return { sources, mirrors: this.#ends.size - sources };
  }

  async bytesOut(): Promise<number> {
    let n = 0;
    for (const e of [...this.#ends.values()])
      if (e.kind === 'source') for (const s of await e.transport.getStats().catch(() => [])) n += s.bytesSent ?? 0;
    return n;
  }

  /** Closes every end (the SFU is closing). */
  closeAll(): void {
    for (const id of [...this.#ends.keys()]) this.close(id);
  }
}
