// The node registry in Redis: every heartbeat a node writes its entry (state and load) under a
// key that expires after CLUSTER_NODE_TTL_MS, adds its id to the set of nodes, and reads
// everyone's. A node whose key expired (no heartbeat for the TTL: killed, hung, cut off) is
// dropped and reported lost, once; but only while this node's own Redis link has been up for a
// whole TTL, so a Redis restart (every key gone until each node writes again, within one
// heartbeat) loses nobody. Entries are wire types: a malformed one is ignored with a log line.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { z } from 'zod';
import { NODE_ID } from './bus_messages.js';
import type { ClusterKeys } from './keys.js';
import type { RedisLink } from './redis_link.js';

export const NodeInfo = z
  .object({
    id: NODE_ID,
    /** where other nodes reach its SFU pipes */
    address: z.string().max(64),
    state: z.enum(['ok', 'draining']),
    /** stylized sessions it runs (for any node's sockets) and its cap */
    sessions: z.number().int().min(0),
    maxSessions: z.number().int().min(0),
    degradation: z.number().min(0).max(10),
    /** its process's CPU over the last heartbeat, as a share of the machine (0..1) */
    cpu: z.number().min(0).max(64),
    /** SFU viewers it serves, and pipes it holds */
    viewers: z.number().int().min(0),
    pipes: z.number().int().min(0),
    startedAt: z.number(),
    /** when the entry was written (its clock) */
    at: z.number(),
  })
  .strict();
export type NodeInfo = z.infer<typeof NodeInfo>;

export interface NodeRegistryEvents {
  /** a node's heartbeat lapsed */
  lost: [string];
  /** the view was read again */
  refreshed: [];
}

export class NodeRegistry extends EventEmitter<NodeRegistryEvents> {
  #view = new Map<string, NodeInfo>();
  #timer: NodeJS.Timeout | null = null;
  #badLogged = new Set<string>();
  #beating = false;
  #failing = false;

  constructor(
    private readonly link: RedisLink,
    private readonly keys: ClusterKeys,
    /** this node's entry, as of now */
    private readonly own: () => NodeInfo,
    private readonly opts: { heartbeatMs: number; ttlMs: number },
    private readonly log: Logger,
  ) {
    super();
  }

  get self(): string {
    return this.own().id;
  }

  start(): void {
    const tick = () => {
      if (this.#beating) return;
      this.#beating = true;
      void this.beat().finally(() => (this.#beating = false));
    };
    // write at once when Redis comes (back): re-registered before anyone looks
    this.link.on('up', tick);
    this.#timer = setInterval(tick, this.opts.heartbeatMs);
    this.#timer.unref();
    tick();
  }

  /** Writes this node's entry and reads everyone's (nothing while Redis is down). */
  async beat(): Promise<void> {
    if (!this.link.up) return;
    const me = this.own();
    try {
      await this.link.cmd
        .multi()
        .set(this.keys.node(me.id), JSON.stringify(me), 'PX', this.opts.ttlMs)
        .sadd(this.keys.nodes, me.id)
        .exec();
      await this.refresh();
      this.#failing = false;
    } catch (e) {
      // once per run of failures: Redis going away is logged by the link
      if (!this.#failing && this.link.up) this.log.warn({ err: (e as Error).message }, 'heartbeat failed');
      this.#failing = true;
    }
  }

  private async refresh(): Promise<void> {
    const ids = await this.link.cmd.smembers(this.keys.nodes);
    const values = ids.length ? await this.link.cmd.mget(...ids.map((id) => this.keys.node(id))) : [];
    const next = new Map<string, NodeInfo>();
    const gone: string[] = [];
    ids.forEach((id, i) => {
      const v = values[i];
      if (v === null) return void gone.push(id);
      const info = parseEntry(v);
      if (info && info.id === id) next.set(id, info);
      else if (!this.#badLogged.has(id)) {
        this.#badLogged.add(id);
        this.log.warn({ peer: id.slice(0, 60) }, 'ignored a malformed node registry entry');
      }
    });
    if (gone.length) await this.link.cmd.srem(this.keys.nodes, ...gone);
    // a node is lost when its entry lapsed while this node could see Redis all along
    const settled = this.link.upSince > 0 && Date.now() - this.link.upSince >= this.opts.ttlMs;
    const lost = [...this.#view.keys()].filter((id) => !next.has(id) && id !== this.self);
    if (!settled) for (const id of lost) next.set(id, this.#view.get(id)!);
    this.#view = next;
    if (settled)
      for (const id of lost) {
        this.log.warn({ peer: id }, 'node gone: its registry entry lapsed (or it left)');
        this.emit('lost', id);
      }
    this.emit('refreshed');
  }

  /** Every node as last read (this one as of now). */
  nodes(): NodeInfo[] {
    const me = this.own();
    return [me, ...[...this.#view.values()].filter((n) => n.id !== me.id)];
  }

  get(id: string): NodeInfo | undefined {
    return id === this.self ? this.own() : this.#view.get(id);
  }

  /** Whether `id` counts as alive (this node, or one seen and not lost). */
  alive(id: string): boolean {
    return id === this.self || this.#view.has(id);
  }

  /** Takes this node out of the registry (its last act). */
  async leave(): Promise<void> {
    if (!this.link.up) return;
    await this.link.cmd
      .multi()
      .del(this.keys.node(this.self))
      .srem(this.keys.nodes, this.self)
      .exec()
      .catch(() => {});
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }
}

function parseEntry(v: string): NodeInfo | null {
  try {
    const r = NodeInfo.safeParse(JSON.parse(v));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}
