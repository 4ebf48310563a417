// The sessions this node runs for sockets held by other nodes (placed here): the bus requests
// that drive them (start, offer, ICE, looks, publish), and the events that go back to the
// socket's node (ICE candidates, figures each second, the end). Only the node that placed a
// session may drive it. Its sessions end when that node is lost, and when this one drains
// (their pages then start again elsewhere, with their looks).
import type { Logger } from 'pino';
import type { Session } from '../media/session.js';
import type { SessionManager } from '../media/session_manager.js';
import { PortError } from '../control/session_port.js';
import type { NodeBus } from './node_bus.js';
import type { BusEvent } from './bus_messages.js';
import type { Publications } from './publications.js';

interface Hosted {
  session: Session;
  owner: string;
  stats: NodeJS.Timeout;
  published: { room: string; name: string } | null;
}

export class SessionHost {
  readonly #hosted = new Map<string, Hosted>();

  constructor(
    private readonly bus: NodeBus,
    private readonly sessions: SessionManager,
    private readonly styles: { has(id: string): boolean },
    private readonly publications: Publications,
    private readonly log: Logger,
  ) {}

  /** Sessions running here for other nodes' sockets. */
  get size(): number {
    return this.#hosted.size;
  }

  start(): void {
    const b = this.bus;
    b.handle('session.start', async (m, from) => {
      for (const id of [m.fg, m.bg])
        if (!this.styles.has(id)) throw new PortError('unknown_style', `unknown style "${id}"`);
      const s = await this.sessions.create(m.fg, m.bg, m.echo, m.resolution, m.sid);
      this.adopt(s, from, m.socket);
      return {};
    });
    b.handle('session.offer', async (m, from) => ({ sdp: await this.need(m.sid, from).handleOffer(m.sdp) }));
    b.handle('session.addIce', async ({ sid, ...c }, from) => {
      await this.need(sid, from).addIce(c);
      return {};
    });
    b.handle('session.style', async (m, from) => {
      const s = this.need(m.sid, from);
      for (const id of [m.fg, m.bg])
        if (!this.styles.has(id)) throw new PortError('unknown_style', `unknown style "${id}"`);
      await s.setStyle(m.fg, m.bg, m.transitionMs);
      return {};
    });
    b.handle('session.options', (m, from) =>
      this.need(m.sid, from).setOptions({ maskMode: m.maskMode, showMask: m.showMask }, m.transitionMs),
    );
    b.handle('room.publish', async (m, from) => {
      const h = this.hosted(m.sid, from);
      await this.unpublish(h);
      await this.publications.publish(h.session, m.room, m.name, m.alpha);
      h.published = { room: m.room, name: m.name };
      return {};
    });
    b.handle('room.unpublish', async (m, from) => {
      await this.unpublish(this.hosted(m.sid, from));
      return {};
    });
  }

  /** The bus events meant for hosted sessions. */
  onEvent(ev: BusEvent, from: string): void {
    if (ev.type !== 'session.stop' && ev.type !== 'session.returnVideo') return;
    const h = this.#hosted.get(ev.sid);
    if (!h || h.owner !== from) return;
    if (ev.type === 'session.stop') h.session.close(ev.reason);
    else h.session.setReturnVideo(ev.on);
  }

  private adopt(s: Session, owner: string, socket: string): void {
    const h: Hosted = {
      session: s,
      owner,
      published: null,
      stats: setInterval(() => {
        if (!s.closed) void this.bus.send(owner, { type: 'session.stats', sid: s.id, stats: s.snapshot() });
      }, 1000),
    };
    h.stats.unref();
    this.#hosted.set(s.id, h);
    s.log.info({ owner, socket }, 'session placed here by another node');
    s.on('ice', (c) => void this.bus.send(owner, { type: 'session.ice', sid: s.id, c }));
    s.once('closed', (reason) => {
      clearInterval(h.stats);
      this.#hosted.delete(s.id);
      // the room entry goes before the owner hears of the end (its page may publish again at once)
      void this.unpublish(h).finally(() => void this.bus.send(owner, { type: 'session.closed', sid: s.id, reason }));
    });
  }

  private async unpublish(h: Hosted): Promise<void> {
    const p = h.published;
    h.published = null;
    if (p) await this.publications.unpublish(p.room, p.name);
  }

  private hosted(sid: string, from: string): Hosted {
    const h = this.#hosted.get(sid);
    if (!h || h.owner !== from) throw new PortError('no_session', 'no such session on this node');
    return h;
  }

  private need(sid: string, from: string): Session {
    return this.hosted(sid, from).session;
  }

  /** The node that placed these sessions is gone: so are its sockets. */
  ownerLost(node: string): void {
    for (const h of [...this.#hosted.values()]) if (h.owner === node) h.session.close('owner node lost');
  }

  /** This node drains: every hosted session ends, and its owner tells its page to start elsewhere. */
  closeAll(reason: string): void {
    for (const h of [...this.#hosted.values()]) h.session.close(reason);
  }
}
