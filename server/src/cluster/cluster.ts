// A node of a Restyle cluster (REDIS_URL set; README "Cluster"): its Redis link, the bus to
// the other nodes, its registry entry, the room directory, placement of sessions, the sessions
// it runs for other nodes' sockets, pipes between SFUs, and the socket.io adapter. start()
// joins (or keeps trying while Redis is away), drain() empties the node on SIGTERM, close()
// leaves. Nothing here is needed without REDIS_URL: one process then works alone.
import { availableParallelism, hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { ClusterConfig } from '../config.js';
import { describeError } from '../control/client_errors.js';
import type { RoomService } from '../control/room_service.js';
import type { SessionFactory } from '../control/session_port.js';
import type { Fanout } from '../fanout/fanout.js';
import type { SessionManager } from '../media/session_manager.js';
import { ClusterRooms } from './cluster_rooms.js';
import { ClusterSessions } from './cluster_sessions.js';
import { ClusterKeys } from './keys.js';
import { NodeBus } from './node_bus.js';
import { NodeRegistry, type NodeInfo } from './node_registry.js';
import { PipeLinks } from './pipe_links.js';
import { Publications } from './publications.js';
import { RedisLink, redacted } from './redis_link.js';
import { RoomDirectory } from './room_directory.js';
import { SessionHost } from './session_host.js';
import { SocketAdapter } from './socket_adapter.js';

export interface ClusterDeps {
  sessions: SessionManager;
  styles: { has(id: string): boolean; get(id: string): { info: { builtIn: boolean } } | undefined };
  fanout: Fanout;
  log: Logger;
  /** the address other nodes reach this one's pipes on, when CLUSTER_ADDRESS is not set */
  defaultAddress: string;
}

/** /healthz `cluster`: the cluster as this node sees it. */
export interface ClusterHealth {
  node: string;
  state: 'ok' | 'draining';
  redis: 'up' | 'down';
  /** live nodes, this one included */
  nodes: number;
  peers: Pick<NodeInfo, 'id' | 'state' | 'sessions' | 'maxSessions' | 'address'>[];
  /** sessions this node runs for other nodes' sockets, and its sockets' sessions on other nodes */
  hostedSessions: number;
  remoteSessions: number;
  /** pipes shared with other nodes (either end) */
  pipes: number;
  /** malformed bus messages dropped since start */
  busDropped: number;
  /** bytes this node's SFU has sent into pipes to other nodes */
  pipeBytesOut: number;
}

export class Cluster {
  readonly id: string;
  readonly #link: RedisLink;
  readonly #bus: NodeBus;
  readonly #registry: NodeRegistry;
  readonly #host: SessionHost;
  readonly #placer: ClusterSessions;
  readonly #rooms: ClusterRooms;
  readonly #pipes: PipeLinks | null;
  readonly #adapter: SocketAdapter;
  readonly #address: string;
  readonly #startedAt = Date.now();
  #state: 'ok' | 'draining' = 'ok';
  #cpu = { at: performance.now(), usage: process.cpuUsage(), share: 0 };

  constructor(
    private readonly cfg: ClusterConfig,
    private readonly d: ClusterDeps,
  ) {
    this.id =
      cfg.nodeId ??
      `${
        hostname()
          .replace(/[^A-Za-z0-9_-]/g, '')
          .slice(0, 32) || 'node'
      }-${randomBytes(3).toString('hex')}`;
    this.#address = cfg.address ?? d.defaultAddress;
    const log = d.log.child({ node: this.id });
    const keys = new ClusterKeys(cfg.name);
    this.#link = new RedisLink(cfg.redisUrl, `restyle-${this.id}`, log);
    this.#bus = new NodeBus(this.#link, keys, this.id, log, describeError);
    this.#registry = new NodeRegistry(
      this.#link,
      keys,
      () => this.own(),
      { heartbeatMs: cfg.heartbeatMs, ttlMs: cfg.nodeTtlMs },
      log,
    );
    const directory = new RoomDirectory(this.#link, keys, this.id, (n) => this.#registry.alive(n), log);
    const publications = new Publications(d.fanout, directory, this.id, log);
    this.#host = new SessionHost(this.#bus, d.sessions, d.styles, publications, log);
    this.#placer = new ClusterSessions(
      this.#bus,
      this.#registry,
      d.sessions,
      (id) => d.styles.get(id)?.info.builtIn ?? false,
      log,
    );
    this.#pipes = d.fanout.pipes ? new PipeLinks(d.fanout.pipes, d.fanout, this.#bus, log) : null;
    this.#rooms = new ClusterRooms(d.fanout, directory, publications, this.#pipes, this.#bus);
    this.#adapter = new SocketAdapter(cfg.redisUrl, `restyle-${this.id}-sio`, keys.adapter);
  }

  /** Places sessions over the nodes. */
  get sessions(): SessionFactory {
    return this.#placer;
  }

  get rooms(): RoomService {
    return this.#rooms;
  }

  /** socket.io's adapter option */
  get adapter(): SocketAdapter['factory'] {
    return this.#adapter.factory;
  }

  get draining(): boolean {
    return this.#state === 'draining';
  }

  /** This node's registry entry, as of now. */
  private own(): NodeInfo {
    const now = performance.now(),
      usage = process.cpuUsage();
    const dt = now - this.#cpu.at;
    if (dt >= 500) {
      const used = (usage.user + usage.system - this.#cpu.usage.user - this.#cpu.usage.system) / 1000;
      this.#cpu = { at: now, usage, share: Math.min(64, Math.max(0, used / dt / availableParallelism())) };
    }
    const census = this.d.fanout.census();
    return {
      id: this.id,
      address: this.#address,
      state: this.#state,
      sessions: this.d.sessions.size,
      maxSessions: this.d.sessions.maxSessions,
      degradation: this.d.sessions.maxDegradation(),
      cpu: Math.round(this.#cpu.share * 100) / 100,
      viewers: census.viewers,
      pipes: this.#pipes?.size ?? 0,
      startedAt: this.#startedAt,
      at: Date.now(),
    };
  }

  async start(): Promise<void> {
    const log = this.d.log.child({ node: this.id });
    this.#bus.on('event', (ev, from) => {
      this.#placer.onEvent(ev, from);
      this.#host.onEvent(ev, from);
      this.#pipes?.onEvent(ev, from);
    });
    this.#registry.on('lost', (node) => {
      this.#placer.nodeLost(node);
      this.#host.ownerLost(node);
      this.#pipes?.nodeLost(node);
    });
    this.#registry.on('refreshed', () => this.#pipes?.sweep());
    this.#host.start();
    this.#pipes?.start();
    await this.#bus.start();
    this.#registry.start();
    const up = await this.#link.ready(3000);
    log.info(
      { redis: redacted(this.cfg.redisUrl), address: this.#address, up },
      up ? 'joined the cluster' : 'Redis unreachable: serving alone until it is back',
    );
  }

  /**
   * SIGTERM: no new sessions here (the registry says so at once), the sessions run for other
   * nodes' sockets end (their pages start again elsewhere). The App closes this node's own
   * sockets, whose pages reconnect to another node through the load balancer.
   */
  async beginDrain(): Promise<void> {
    this.#state = 'draining';
    await this.#registry.beat();
    this.#host.closeAll('node draining');
  }

  /** What still runs here for anyone (drain waits for 0). */
  get busy(): number {
    return this.#host.size + this.#placer.remoteCount + (this.#pipes?.size ?? 0);
  }

  async health(): Promise<ClusterHealth> {
    const nodes = this.#registry.nodes();
    return {
      node: this.id,
      state: this.#state,
      redis: this.#link.up ? 'up' : 'down',
      nodes: nodes.length,
      peers: nodes.map(({ id, state, sessions, maxSessions, address }) => ({
        id,
        state,
        sessions,
        maxSessions,
        address,
      })),
      hostedSessions: this.#host.size,
      remoteSessions: this.#placer.remoteCount,
      pipes: this.#pipes?.size ?? 0,
      busDropped: this.#bus.dropped,
      pipeBytesOut: (await this.d.fanout.pipes?.bytesOut()) ?? 0,
    };
  }

  /** Ends what this node shares with others: sessions placed elsewhere, pipes (the others are told). */
  closeLinks(reason: string): void {
    this.#placer.closeAll(reason);
    this.#host.closeAll(reason);
    this.#pipes?.closeAll();
  }

  /** Leaves the registry and Redis (after closeLinks and the SFU). */
  async close(): Promise<void> {
    this.#registry.close();
    await this.#registry.leave();
    this.#bus.close();
    this.#adapter.close();
    this.#link.close();
  }
}
