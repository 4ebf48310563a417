// A Restyle cluster on simulated hosts, for the cluster test and bench: Redis on its own host,
// nodes each on theirs (the built server, as `npm start` runs it, with REDIS_URL), a client
// host for Chromium, headless viewers and the load balancer (test/support/tcp_balancer.ts) in
// front of the nodes. The test process reaches each node's HTTP API through its Unix socket.
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ClusterNet, type SimHost } from './cluster_net.js';
import { ROOT } from './media.js';
import { RedisServer } from './redis_process.js';
import { startServer, type ServerHandle } from './server_process.js';

export const ADMIN_KEY = 'cluster-test-admin-key-0123';
const ROOM_SECRET = 'cluster-test-room-secret-0123456789';

export interface ViewerLine {
  event: string;
  fps: number;
  width: number;
  height: number;
  bytes: number;
  state: string;
}

export interface HeadlessViewer {
  proc: ChildProcess;
  lines: ViewerLine[];
  stop(): void;
}

export class ClusterHarness {
  readonly nodes = new Map<string, ServerHandle>();
  readonly ports = new Map<string, number>();
  readonly redis: RedisServer;
  #balancer: ChildProcess | null = null;
  readonly #viewers: HeadlessViewer[] = [];

  private constructor(
    readonly net: ClusterNet,
    /** environment every node gets (caps, engine settings) */
    private readonly env: Record<string, string>,
  ) {
    this.redis = new RedisServer(net.host('redis'));
  }

  /** Hosts: redis (.10), each node (.1, .2, …), client (.100). */
  static async start(tag: string, nodeNames: string[], env: Record<string, string> = {}): Promise<ClusterHarness> {
    const net = ClusterNet.create(tag, [
      ['redis', 10],
      ...nodeNames.map((n, i): [string, number] => [n, i + 1]),
      ['client', 100],
    ]);
    const h = new ClusterHarness(net, env);
    try {
      await h.redis.start();
    } catch (e) {
      await h.close();
      throw e;
    }
    return h;
  }

  get client(): SimHost {
    return this.net.host('client');
  }

  /** Starts node `name` on its host (again on its earlier port, if it ran before). */
  async startNode(name: string, env: Record<string, string> = {}): Promise<ServerHandle> {
    const host = this.net.host(name);
    const port = this.ports.get(name);
    const srv = await startServer(
      host,
      {
        MALLOC_ARENA_MAX: '2',
        REDIS_URL: this.redis.url,
        NODE_ID: name,
        ROOM_SECRET,
        ROOM_ADMIN_KEY: ADMIN_KEY,
        FANOUT: 'mediasoup',
        ENGINE_THREADS: '1',
        ...this.env,
        ...env,
        ...(port ? { PORT: String(port) } : {}),
      },
      host.ip,
      `${name}.sock`,
    );
    this.ports.set(name, Number(new URL(srv.nsUrl).port));
    this.nodes.set(name, srv);
    return srv;
  }

  node(name: string): ServerHandle {
    const n = this.nodes.get(name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  }

  /** The load balancer on the client host, trying the nodes in `order`; returns its URL. */
  async startBalancer(order: string[]): Promise<string> {
    const backends = order.map((n) => `${this.net.host(n).ip}:${this.ports.get(n)}`).join(',');
    const listen = `${this.client.ip}:8080`;
    const proc = this.client.spawn(process.execPath, [
      join(ROOT, 'dist', 'test', 'support', 'tcp_balancer.js'),
      '--listen',
      listen,
      '--backends',
      backends,
    ]);
    this.#balancer = proc;
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: proc.stdout! }).on('line', (l) => {
        if (l.includes('"listening"')) resolve();
      });
      proc.once('exit', (c) => reject(new Error(`balancer exited ${c}`)));
    });
    await new Promise((r) => setTimeout(r, 700)); // its first health checks
    return `http://${listen}`;
  }

  async mint(room: string, role: 'view' | 'publish', ttlS = 900, via?: string): Promise<string> {
    const node = this.node(via ?? [...this.nodes.keys()][0]);
    const r = await fetch(`${node.url}/api/rooms/${room}/tokens`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${ADMIN_KEY}` },
      body: JSON.stringify({ role, ttlS }),
    });
    if (r.status !== 201) throw new Error(`mint: ${r.status}`);
    return ((await r.json()) as { token: string }).token;
  }

  /** A headless viewer on the client host, its socket on node `name`. */
  viewer(name: string, room: string, token: string): HeadlessViewer {
    const proc = this.client.spawn(process.execPath, [
      join(ROOT, 'dist', 'test', 'support', 'headless_viewer.js'),
      '--url',
      this.node(name).nsUrl,
      '--room',
      room,
      '--token',
      token,
      '--ip',
      this.client.ip,
      '--label',
      name,
    ]);
    const lines: ViewerLine[] = [];
    createInterface({ input: proc.stdout! }).on('line', (l) => {
      try {
        lines.push(JSON.parse(l) as ViewerLine);
      } catch {
        /* not a line of ours */
      }
    });
    proc.stderr!.resume();
    const v = { proc, lines, stop: () => void proc.kill('SIGTERM') };
    this.#viewers.push(v);
    return v;
  }

  async close(): Promise<void> {
    for (const v of this.#viewers) v.proc.kill('SIGKILL');
    this.#balancer?.kill('SIGKILL');
    await Promise.all([...this.nodes.values()].map((n) => n.close()));
    await this.redis.stop();
    this.net.close();
  }
}

/** The mean of the last `n` per-second frame counts. */
export function recentFps(v: HeadlessViewer, n: number): number {
  const xs = v.lines.filter((l) => l.event === 'second').slice(-n);
  return xs.length ? xs.reduce((s, l) => s + l.fps, 0) / xs.length : 0;
}
