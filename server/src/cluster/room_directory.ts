// Room membership across nodes, in Redis: for each room, who publishes and on which node
// (a hash: participant -> entry), and how many viewers each node serves there. A node writes
// the entries of the publications it hosts and remembers them, so it writes them again when
// Redis comes back empty after a restart. Entries of nodes that are not alive are ignored (and
// removed) when read: a dead node's publishers leave its rooms with its heartbeat.
import type { Logger } from 'pino';
import { z } from 'zod';
import { NODE_ID, SESSION_ID } from './bus_messages.js';
import type { ClusterKeys } from './keys.js';
import type { RedisLink } from './redis_link.js';

export const RoomEntry = z.object({ node: NODE_ID, alpha: z.boolean(), sid: SESSION_ID }).strict();
export type RoomEntry = z.infer<typeof RoomEntry>;

/** HDEL field only while it still names `node` (a newer publication under that name stays). */
const REMOVE_IF_NODE = `local v = redis.call('HGET', KEYS[1], ARGV[1])
if v and cjson.decode(v).node == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0`;

export class RoomDirectory {
  /** what this node hosts: room -> participant -> entry */
  readonly #mine = new Map<string, Map<string, RoomEntry>>();
  readonly #viewers = new Map<string, number>();

  constructor(
    private readonly link: RedisLink,
    private readonly keys: ClusterKeys,
    private readonly self: string,
    private readonly alive: (node: string) => boolean,
    private readonly log: Logger,
  ) {
    link.on('up', () => void this.reassert());
  }

  /** Everyone publishing in `room`, on live nodes. */
  async entries(room: string): Promise<Map<string, RoomEntry>> {
    const raw = await this.link.cmd.hgetall(this.keys.room(room));
    const out = new Map<string, RoomEntry>();
    const stale: string[] = [];
    for (const [name, v] of Object.entries(raw)) {
      const e = parse(v);
      if (!e) {
        this.log.warn({ room, participant: name.slice(0, 40) }, 'ignored a malformed room entry');
        continue;
      }
      if (this.alive(e.node)) out.set(name, e);
      else stale.push(name);
    }
    if (stale.length) await this.link.cmd.hdel(this.keys.room(room), ...stale).catch(() => 0);
    return out;
  }

  async add(room: string, name: string, e: RoomEntry): Promise<void> {
    let r = this.#mine.get(room);
    if (!r) this.#mine.set(room, (r = new Map()));
    r.set(name, e);
    await this.link.cmd.hset(this.keys.room(room), name, JSON.stringify(e));
  }

  /** Removes `name` from `room` if `node` still publishes it there. */
  async remove(room: string, name: string, node: string): Promise<void> {
    const r = this.#mine.get(room);
    if (r?.get(name)?.node === node) {
      r.delete(name);
      if (!r.size) this.#mine.delete(room);
    }
    await this.link.cmd.eval(REMOVE_IF_NODE, 1, this.keys.room(room), name, node);
  }

  /** This node serves `n` viewers in `room` (written to Redis; kept for a Redis restart). */
  async setViewers(room: string, n: number): Promise<void> {
    if (n > 0) this.#viewers.set(room, n);
    else this.#viewers.delete(room);
    const key = this.keys.roomViewers(room);
    if (n > 0) await this.link.cmd.hset(key, this.self, String(n));
    else await this.link.cmd.hdel(key, this.self);
  }

  /** Viewers of `room` over the live nodes. */
  async viewerCount(room: string): Promise<number> {
    const raw = await this.link.cmd.hgetall(this.keys.roomViewers(room));
    let n = 0;
    for (const [node, v] of Object.entries(raw)) if (this.alive(node)) n += Math.max(0, Number.parseInt(v, 10) || 0);
    return n;
  }

  /** Publications hosted here: room -> names (the local fallback while Redis is away). */
  hosted(room: string): string[] {
    return [...(this.#mine.get(room)?.keys() ?? [])];
  }

  private async scan(pattern: string): Promise<string[]> {
    const out: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await this.link.cmd.scan(cursor, 'MATCH', pattern, 'COUNT', 200);
      cursor = next;
      out.push(...keys);
    } while (cursor !== '0');
    return out;
  }

  /**
   * Writes this node's entries again (Redis came back, maybe empty), and removes the ones it
   * could not remove while Redis was away (publications that ended meanwhile).
   */
  private async reassert(): Promise<void> {
    try {
      for (const key of await this.scan(this.keys.room('*'))) {
        const room = key.slice(this.keys.room('').length);
        for (const [name, v] of Object.entries(await this.link.cmd.hgetall(key)))
          if (parse(v)?.node === this.self && !this.#mine.get(room)?.has(name))
            await this.link.cmd.eval(REMOVE_IF_NODE, 1, key, name, this.self);
      }
      for (const key of await this.scan(this.keys.roomViewers('*')))
        if (!this.#viewers.has(key.slice(this.keys.roomViewers('').length))) await this.link.cmd.hdel(key, this.self);
      for (const [room, r] of this.#mine)
        for (const [name, e] of r) await this.link.cmd.hset(this.keys.room(room), name, JSON.stringify(e));
      for (const [room, n] of this.#viewers)
        await this.link.cmd.hset(this.keys.roomViewers(room), this.self, String(n));
    } catch (e) {
      this.log.debug({ err: (e as Error).message }, 'room entries not rewritten yet');
    }
  }
}

function parse(v: string): RoomEntry | null {
  try {
    const r = RoomEntry.safeParse(JSON.parse(v));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}
