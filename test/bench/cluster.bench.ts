// `npm run bench:cluster`: a cluster on simulated hosts (test/support/cluster_harness.ts; the
// nodes share this machine's cores). Part 1, for 1, 2 and 3 nodes (MAX_SESSIONS=4 each): 3 x
// nodes headless clients all connect to node 1 (the worst a balancer can do) and start a
// session one after the other: where each is placed (sessions per node, balance), how long
// `start` takes, and the signalling latency the bus adds (setOptions acks for sessions on node
// 1 itself vs on other nodes). Part 2: 1 stylized publisher (a wrtc client, 640x480) on node 1
// -> N headless viewers on each of the 3 nodes (BENCH_VIEWERS, default 2): per node, the pipe
// egress, the egress to its viewers, their frame rate, and the node's CPU (its mediasoup
// worker included).
import { readdirSync, readFileSync } from 'node:fs';
import { it } from 'vitest';
import { ClusterHarness, recentFps } from '../support/cluster_harness.js';
import { startPeer } from '../support/peer_process.js';
import { call, connect } from '../support/socket_client.js';
import { benchSeconds, percentile, table, writeJson, type BenchRecord } from './report.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const NODES = ['n1', 'n2', 'n3'];
/** sessions per node in part 1: 3 of a cap of 4, so the balance shows placement's choices, not the caps */
const PER_NODE = 3;

/** CPU seconds of a process and its children (the mediasoup worker), from /proc. */
function cpuSeconds(pid: number): number {
  const one = (p: number) => {
    try {
      const f = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
      return (Number(f[11]) + Number(f[12])) / 100;
    } catch {
      return 0;
    }
  };
  let kids: number[] = [];
  try {
    for (const t of readdirSync(`/proc/${pid}/task`))
      kids.push(
        ...readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
      );
  } catch {
    kids = [];
  }
  return one(pid) + kids.reduce((s, k) => s + one(k), 0);
}

it('cluster benchmark', async () => {
  const seconds = benchSeconds(8);
  const perNode = Number(process.env.BENCH_VIEWERS) || 2;
  const h = await ClusterHarness.start('cb', NODES, { ENGINE_TIER: 'global', SEGMENTATION: 'off', MAX_SESSIONS: '4' });
  const rows: BenchRecord[] = [];
  try {
    // ---- part 1: placement and signalling latency, 1 -> 3 nodes
    for (let k = 1; k <= 3; k++) {
      await h.startNode(NODES[k - 1]);
      for (let i = 0; i < 40; i++) {
        const rs = await Promise.all(NODES.slice(0, k).map((n) => h.node(n).health()));
        if (rs.every((r) => r.cluster?.nodes === k)) break;
        await sleep(250);
      }
      await sleep(1200); // every node's entry read by every other
      const n1 = h.node('n1');
      const sockets = [];
      const startMs: { local: number[]; remote: number[] } = { local: [], remote: [] };
      const optMs: { local: number[]; remote: number[] } = { local: [], remote: [] };
      for (let i = 0; i < PER_NODE * k; i++) {
        const s = await connect(n1.url);
        sockets.push(s);
        const t0 = performance.now();
        const r = await call<{ sessionId: string }>(s, 'start', { fg: 'evening-glow', bg: 'darkest-hour', echo: true });
        const ms = performance.now() - t0;
        if (!r.ok) throw new Error(`start ${i}: ${JSON.stringify(r.error)}`);
        // local or remote: node 1's own session count tells
        const local = (await n1.health()).sessions > startMs.local.length;
        (local ? startMs.local : startMs.remote).push(ms);
        for (let j = 0; j < 10; j++) {
          const t1 = performance.now();
          await call(s, 'setOptions', { showMask: j % 2 === 0, transitionMs: 0 });
          (local ? optMs.local : optMs.remote).push(performance.now() - t1);
        }
      }
      const placed = await Promise.all(NODES.slice(0, k).map(async (n) => (await h.node(n).health()).sessions));
      const med = (xs: number[]) => (xs.length ? Math.round(percentile(xs, 50) * 10) / 10 : null);
      const p95 = (xs: number[]) => (xs.length ? Math.round(percentile(xs, 95) * 10) / 10 : null);
      const row: BenchRecord = {
        part: 'placement',
        nodes: k,
        sessions: PER_NODE * k,
        placed_per_node: placed.join('/'),
        balance_max_over_min: Math.min(...placed)
          ? Math.round((Math.max(...placed) / Math.min(...placed)) * 100) / 100
          : null,
        start_ms_local_p50: med(startMs.local),
        start_ms_remote_p50: med(startMs.remote),
        ack_ms_local_p50: med(optMs.local),
        ack_ms_local_p95: p95(optMs.local),
        ack_ms_remote_p50: med(optMs.remote),
        ack_ms_remote_p95: p95(optMs.remote),
      };
      rows.push(row);
      console.log(JSON.stringify(row));
      for (const s of sockets) s.close();
      for (let i = 0; i < 40; i++) {
        const rs = await Promise.all(NODES.slice(0, k).map((n) => h.node(n).health()));
        if (rs.every((r) => r.sessions === 0)) break;
        await sleep(250);
      }
    }

    // ---- part 2: 1 publisher -> 3 nodes x N viewers
    const publish = await h.mint('bench', 'publish');
    const view = await h.mint('bench', 'view');
    const pub = startPeer(h.client, h.node('n1').nsUrl, {
      seconds: seconds + 40,
      size: [640, 480],
      label: 'publisher',
      publish: { room: 'bench', token: publish },
    });
    for (let i = 0; i < 80 && !pub.lines.some((l) => l.event === 'published'); i++) await sleep(250);
    const pubLine = pub.lines.find((l) => l.event === 'published');
    if (!pubLine?.ok) throw new Error(`publisher: ${JSON.stringify(pub.lines.slice(-5))}`);
    const viewers = NODES.flatMap((n) =>
      Array.from({ length: perNode }, () => ({ node: n, v: h.viewer(n, 'bench', view) })),
    );
    for (let i = 0; i < 120 && !viewers.every(({ v }) => recentFps(v, 1) > 0); i++) await sleep(250);
    await sleep(4000);
    const snap = async () =>
      Promise.all(
        NODES.map(async (n) => {
          const r = await h.node(n).health();
          return { pipe: r.cluster?.pipeBytesOut ?? 0, cpu: cpuSeconds(h.node(n).proc.pid!), at: performance.now() };
        }),
      );
    const s0 = await snap();
    const vb0 = viewers.map(({ v }) => v.lines.length);
    await sleep(seconds * 1000);
    const s1 = await snap();
    for (const [i, n] of NODES.entries()) {
      const dt = (s1[i].at - s0[i].at) / 1000;
      const mine = viewers.map((x, j) => ({ ...x, j })).filter((x) => x.node === n);
      const lines = mine.map(({ v, j }) => v.lines.slice(vb0[j]).filter((l) => l.event === 'second'));
      const fps = lines.map((ls) => ls.reduce((s, l) => s + l.fps, 0) / Math.max(1, ls.length));
      const bytes = lines.reduce((s, ls) => s + ls.reduce((t, l) => t + l.bytes, 0), 0);
      const row: BenchRecord = {
        part: 'pipes',
        node: n,
        viewers: perNode,
        viewer_fps_mean: Math.round((fps.reduce((a, b) => a + b, 0) / fps.length) * 10) / 10,
        viewer_fps_worst: Math.round(Math.min(...fps) * 10) / 10,
        viewer_egress_mbps: Math.round(((bytes * 8) / dt / 1e6) * 100) / 100,
        pipe_egress_mbps: Math.round((((s1[i].pipe - s0[i].pipe) * 8) / dt / 1e6) * 100) / 100,
        node_cpu_pct: Math.round(((s1[i].cpu - s0[i].cpu) / dt) * 1000) / 10,
      };
      rows.push(row);
      console.log(JSON.stringify(row));
    }
    const server = pub.lines.filter((l) => l.event === 'second').at(-1)?.server;
    console.log(
      `\ncluster: nodes on simulated hosts sharing this machine's 2 cores; ENGINE_TIER=global SEGMENTATION=off, MAX_SESSIONS=4 per node\n` +
        `placement: ${PER_NODE} x nodes sessions (echo, no media) started one after another from sockets all on n1; ack_ms: setOptions round trips (local: session on n1; remote: on another node, over the bus)\n` +
        table(
          rows.filter((r) => r.part === 'placement'),
          [
            'nodes',
            'sessions',
            'placed_per_node',
            'balance_max_over_min',
            'start_ms_local_p50',
            'start_ms_remote_p50',
            'ack_ms_local_p50',
            'ack_ms_local_p95',
            'ack_ms_remote_p50',
            'ack_ms_remote_p95',
          ],
        ) +
        `\n\npipes: 1 stylized publisher (wrtc client, 640x480, on n1; server ${JSON.stringify(server)}) -> ${perNode} headless viewers on each node, ${seconds} s\n` +
        table(
          rows.filter((r) => r.part === 'pipes'),
          [
            'node',
            'viewers',
            'viewer_fps_mean',
            'viewer_fps_worst',
            'viewer_egress_mbps',
            'pipe_egress_mbps',
            'node_cpu_pct',
          ],
        ),
    );
    writeJson(rows.map((r) => ({ bench: 'cluster', ...r })));
    for (const { v } of viewers) v.stop();
    pub.kill('SIGTERM');
  } finally {
    await h.close();
  }
});
