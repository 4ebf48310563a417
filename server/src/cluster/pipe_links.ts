// The pipes this node shares with other nodes, and their lifetimes. A viewer here of a
// publisher on another node needs that stream here: this node makes its mirror end, asks the
// publishing node (pipe.open) to make its source end, and publishes the mirror locally under
// the publisher's name. One pipe per publisher and node, whatever its viewers here. When
// either end closes by itself (the publisher left; the mirror left), the other node is told
// (pipe.closed); a mirror without viewers for IDLE_MS is closed; a lost node's pipes go.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { FanoutError, type Fanout, type FanoutPipes } from '../fanout/fanout.js';
import type { BusEvent } from './bus_messages.js';
import { BusCallError, type NodeBus } from './node_bus.js';
import { portError } from './remote_session.js';

const IDLE_MS = 5000;

interface Link {
  id: string;
  /** the node at the other end */
  peer: string;
  side: 'source' | 'mirror';
  room: string;
  participant: string;
  idleSince: number;
}

export class PipeLinks {
  readonly #links = new Map<string, Link>();
  readonly #opening = new Map<string, Promise<void>>();
  #n = 0;

  constructor(
    private readonly pipes: FanoutPipes,
    private readonly fanout: Fanout,
    private readonly bus: NodeBus,
    private readonly log: Logger,
  ) {
    pipes.onClosed((id, reason) => {
      const l = this.#links.get(id);
      if (!l) return;
      this.#links.delete(id);
      this.log.info({ pipe: id, peer: l.peer, side: l.side, reason }, 'pipe closed');
      void this.bus.send(l.peer, { type: 'pipe.closed', pipeId: id, reason });
    });
  }

  start(): void {
    this.bus.handle('pipe.open', async (m, from) => {
      const src = await this.pipes.openSource(m.room, m.participant, m.pipeId, m.tuple);
      this.#links.set(m.pipeId, {
        id: m.pipeId,
        peer: from,
        side: 'source',
        room: m.room,
        participant: m.participant,
        idleSince: 0,
      });
      this.log.info({ pipe: m.pipeId, to: from, room: m.room, participant: m.participant }, 'pipe opened (source)');
      return src;
    });
  }

  /** Makes sure `participant` of `room`, published on node `source`, has a mirror here. */
  async ensure(room: string, participant: string, source: string): Promise<void> {
    const key = `${room}\0${participant}`;
    for (;;) {
      const opening = this.#opening.get(key);
      if (!opening) break;
      await opening.catch(() => {});
    }
    const cur = [...this.#links.values()].find(
      (l) => l.side === 'mirror' && l.room === room && l.participant === participant,
    );
    if (cur && cur.peer === source && this.fanout.publishers(room).includes(participant)) return;
    if (cur) this.closeLink(cur, 'publisher moved');
    const p = this.open(room, participant, source);
    this.#opening.set(key, p);
    try {
      await p;
    } finally {
      this.#opening.delete(key);
    }
  }

  private async open(room: string, participant: string, source: string): Promise<void> {
    const id = `${this.bus.self}-${++this.#n}-${randomBytes(4).toString('hex')}`;
    const t0 = performance.now();
    const mirror = await this.pipes.openMirror(id);
    const link: Link = { id, peer: source, side: 'mirror', room, participant, idleSince: Date.now() };
    this.#links.set(id, link);
    try {
      const src = await this.bus.request(source, 'pipe.open', { pipeId: id, room, participant, tuple: mirror.local });
      await mirror.complete(room, participant, src);
      this.log.info(
        { pipe: id, from: source, room, participant, ms: Math.round(performance.now() - t0) },
        'pipe opened (mirror)',
      );
    } catch (e) {
      this.closeLink(link, 'open failed');
      if (e instanceof BusCallError && e.code === 'no_publisher') throw new FanoutError('no_publisher', e.message);
      throw e instanceof BusCallError ? portError(e, source) : e;
    }
  }

  private closeLink(l: Link, reason: string, tell = true): void {
    if (!this.#links.delete(l.id)) return;
    this.pipes.close(l.id);
    if (tell) void this.bus.send(l.peer, { type: 'pipe.closed', pipeId: l.id, reason });
  }

  /** pipe.closed from the other end. */
  onEvent(ev: BusEvent, from: string): void {
    if (ev.type !== 'pipe.closed') return;
    const l = this.#links.get(ev.pipeId);
    if (l && l.peer === from) this.closeLink(l, ev.reason, false);
  }

  /** Closes mirrors that have had no viewer here for IDLE_MS (each heartbeat). */
  sweep(): void {
    const now = Date.now();
    for (const l of [...this.#links.values()]) {
      if (l.side !== 'mirror') continue;
      if (this.fanout.viewersOf(l.room, l.participant) > 0) l.idleSince = now;
      else if (now - l.idleSince > IDLE_MS) this.closeLink(l, 'no viewers');
    }
  }

  /** A node is gone: so are the pipes shared with it. */
  nodeLost(node: string): void {
    for (const l of [...this.#links.values()]) if (l.peer === node) this.closeLink(l, 'node lost', false);
  }

  get size(): number {
    return this.#links.size;
  }

  closeAll(): void {
    for (const l of [...this.#links.values()]) this.closeLink(l, 'node closing');
  }
}
