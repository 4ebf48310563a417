// Placement in a cluster: a socket's new session goes to the node placement.ts puts first,
// this one or another, and the next on refusal (full meanwhile, draining, gone). On another
// node it is a RemoteSession: the socket stays here, its signalling crosses the bus. Sessions
// placed elsewhere end when their node reports their end or is lost; their pages then start
// again (the page restarts by itself, with its looks) and are placed anew.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { PortError, type SessionFactory, type SessionPort, type SessionRequest } from '../control/session_port.js';
import { ServerFullError, type SessionManager } from '../media/session_manager.js';
import type { BusEvent } from './bus_messages.js';
import { BusCallError, type NodeBus } from './node_bus.js';
import type { NodeRegistry } from './node_registry.js';
import { placementOrder } from './placement.js';
import { portError, RemoteSession } from './remote_session.js';

/** Refusals after which the next node is asked. */
const TRY_NEXT = new Set(['server_full', 'shutting_down', 'unreachable', 'timeout']);

export class ClusterSessions implements SessionFactory {
  readonly #remote = new Map<string, RemoteSession>();
  /** sessions placed on a node since its registry entry was written: node -> [entry time, count] */
  readonly #pending = new Map<string, [number, number]>();

  constructor(
    private readonly bus: NodeBus,
    private readonly registry: NodeRegistry,
    private readonly local: SessionManager,
    /** whether every node has this style (the built-in ones; an upload lives on its node only) */
    private readonly everywhere: (styleId: string) => boolean,
    private readonly log: Logger,
  ) {}

  /** This node's sockets' sessions that run elsewhere. */
  get remoteCount(): number {
    return this.#remote.size;
  }

  private pending(id: string, at: number): number {
    const p = this.#pending.get(id);
    return p && p[0] === at ? p[1] : 0;
  }

  async create(r: SessionRequest): Promise<SessionPort> {
    const self = this.bus.self;
    // a look uploaded to this node exists here only: such a session stays here
    const nodes = this.registry
      .nodes()
      .filter((n) => n.id === self || (this.everywhere(r.fg) && this.everywhere(r.bg)));
    const order = placementOrder(
      nodes.map((n) => ({ ...n, pending: n.id === self ? 0 : this.pending(n.id, n.at) })),
      self,
    );
    for (const node of order) {
      if (node === self) {
        try {
          return await this.local.create(r.fg, r.bg, r.echo, r.resolution);
        } catch (e) {
          if (e instanceof ServerFullError) continue;
          throw e;
        }
      }
      const sid = randomUUID();
      const rs = new RemoteSession(sid, node, this.bus);
      this.#remote.set(sid, rs);
      rs.once('closed', () => this.#remote.delete(sid));
      try {
        const t0 = performance.now();
        await this.bus.request(node, 'session.start', { sid, ...r }, 8000);
        const at = this.registry.get(node)?.at ?? 0;
        this.#pending.set(node, [at, this.pending(node, at) + 1]);
        this.log.info(
          { sid, peer: node, socket: r.socket, ms: Math.round(performance.now() - t0) },
          'session placed on another node',
        );
        return rs;
      } catch (e) {
        rs.ended('not placed');
        // it may have started there after all (a late answer): make sure it ends
        if (e instanceof BusCallError && e.code === 'timeout') rs.close('not placed');
        if (e instanceof BusCallError && TRY_NEXT.has(e.code)) continue;
        throw portError(e, node);
      }
    }
    if (!this.local.isAccepting) throw new ServerFullError(0);
    throw new PortError(
      'server_full',
      `server busy: all stylizer slots of the ${nodes.length} node${nodes.length === 1 ? '' : 's'} are in use, try again shortly`,
    );
  }

  /** The bus events meant for sessions placed elsewhere. */
  onEvent(ev: BusEvent, from: string): void {
    if (ev.type !== 'session.ice' && ev.type !== 'session.stats' && ev.type !== 'session.closed') return;
    const rs = this.#remote.get(ev.sid);
    if (!rs || rs.node !== from) return;
    if (ev.type === 'session.ice') rs.emit('ice', ev.c);
    else if (ev.type === 'session.stats') rs.emit('stats', ev.stats);
    else rs.ended(ev.reason === 'node draining' ? 'node draining' : `on node ${from}: ${ev.reason}`);
  }

  /** A node is gone: so are the sessions it ran for this node's sockets. */
  nodeLost(node: string): void {
    for (const rs of [...this.#remote.values()]) if (rs.node === node) rs.ended('node lost');
    this.#pending.delete(node);
  }

  /** Ends every session placed elsewhere (this node closes). */
  closeAll(reason: string): void {
    for (const rs of [...this.#remote.values()]) rs.close(reason);
  }
}
