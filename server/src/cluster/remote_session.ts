// A session whose media runs on another node, as the socket's node sees it: every call is a
// request over the bus to that node (the host), whose ICE candidates, figures and end come
// back as events. It closes when the socket's connection ends it (the host is told), when the
// host reports it ended, or when the host node is lost.
import { EventEmitter } from 'node:events';
import type { IceMsg, MaskMode, MaskOptions, StatsMsg } from '../../../shared/protocol.js';
import { PortError, type SessionPort } from '../control/session_port.js';
import { BusCallError, type NodeBus } from './node_bus.js';

export interface RemoteSessionEvents {
  ice: [IceMsg];
  closed: [string];
  stats: [StatsMsg];
}

/** A bus failure as the page should read it. */
export function portError(e: unknown, host: string): PortError {
  if (!(e instanceof BusCallError)) return new PortError('internal', 'internal error');
  if (e.code === 'unreachable' || e.code === 'timeout')
    return new PortError('internal', `the node running this session (${host}) is unreachable`);
  return new PortError(e.code, e.message);
}

export class RemoteSession extends EventEmitter<RemoteSessionEvents> implements SessionPort {
  #closed = false;
  #streaming = false;

  constructor(
    readonly id: string,
    /** the node that runs the media */
    readonly node: string,
    private readonly bus: NodeBus,
  ) {
    super();
  }

  get closed(): boolean {
    return this.#closed;
  }

  get streaming(): boolean {
    return this.#streaming && !this.#closed;
  }

  private async call<T>(p: Promise<T>): Promise<T> {
    if (this.#closed) throw new PortError('no_session', 'session closed');
    try {
      return await p;
    } catch (e) {
      throw portError(e, this.node);
    }
  }

  async handleOffer(sdp: string): Promise<string> {
    const r = await this.call(this.bus.request(this.node, 'session.offer', { sid: this.id, sdp }, 15_000));
    this.#streaming = true;
    return r.sdp;
  }

  async addIce(c: IceMsg): Promise<void> {
    await this.call(this.bus.request(this.node, 'session.addIce', { sid: this.id, ...c }));
  }

  async setStyle(fg: string, bg: string, transitionMs: number): Promise<void> {
    await this.call(this.bus.request(this.node, 'session.style', { sid: this.id, fg, bg, transitionMs }));
  }

  setOptions(o: { maskMode?: MaskMode; showMask?: boolean }, transitionMs: number): Promise<MaskOptions> {
    return this.call(this.bus.request(this.node, 'session.options', { sid: this.id, ...o, transitionMs }));
  }

  snapshot(): StatsMsg {
    throw new Error('a remote session pushes its stats (onStats)');
  }

  onStats(fn: (m: StatsMsg) => void): void {
    this.on('stats', fn);
  }

  setReturnVideo(on: boolean): void {
    if (!this.#closed) void this.bus.send(this.node, { type: 'session.returnVideo', sid: this.id, on });
  }

  /** Ends it here and tells the host. */
  close(reason: string): void {
    if (this.#closed) return;
    void this.bus.send(this.node, { type: 'session.stop', sid: this.id, reason });
    this.ended(reason);
  }

  /** It ended on the host (or the host is gone): nothing to tell. */
  ended(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.emit('closed', reason);
  }
}
