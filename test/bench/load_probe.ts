// What `npm run bench:load` reads from the processes it runs: CPU time, open descriptors and
// threads from /proc (the server's engine workers are threads of its one process, so its
// /proc entry counts them), memory and handle counts from the server's /metrics (prom-client's
// default metrics, as a scraper would see them), and per-session fps and round-trip latency
// from the headless peers' per-second lines (test/support/peer_client.ts).
import { readdirSync, readFileSync } from 'node:fs';
import type { PeerHandle, PeerLine } from '../support/peer_process.js';
import type { ServerHandle } from '../support/server_process.js';
import { percentile } from './report.js';

/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat on Linux */
const CLK_TCK = 100;
const MIB = 1024 * 1024;

/** user + system CPU seconds from a /proc stat line (a process's or a thread's) */
function statSeconds(stat: string): number {
  // the command name (field 2) may hold spaces: count fields from its closing parenthesis
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

/** CPU seconds (user + system) a process has used so far; 0 once it is gone. */
export function cpuSeconds(pid: number | undefined): number {
  try {
    return statSeconds(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return 0;
  }
}

/** V8's platform threads: node starts them first, before any JavaScript runs: its delayed-task
 *  scheduler, then 4 workers (--v8-pool-size) for concurrent garbage collection and compilation */
const V8_PLATFORM_THREADS = 1 + 4;

/** the thread groups of threadGroupSeconds, in the order the bench prints them */
export const THREAD_GROUPS = ['main', 'workers', 'v8', 'native'] as const;

/**
 * The server's CPU seconds so far by thread group (/proc/<pid>/task): `main` (JavaScript,
 * signalling, the frames' way in and out), `v8` (V8's platform threads: concurrent garbage
 * collection and compilation for every isolate), `workers` (the other node threads: engine and
 * low-res worker threads), `native` (threads with names of their own: wrtc's codecs, pacer and
 * network threads).
 */
export function threadGroupSeconds(pid: number | undefined): Record<(typeof THREAD_GROUPS)[number], number> {
  const out = { main: 0, workers: 0, v8: 0, native: 0 };
  let tasks: number[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`)
      .map(Number)
      .sort((a, b) => a - b);
  } catch {
    return out;
  }
  let platform = 0;
  for (const tid of tasks) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const group =
      tid === pid ? 'main' : comm !== 'node' ? 'native' : platform++ < V8_PLATFORM_THREADS ? 'v8' : 'workers';
    out[group] += statSeconds(stat);
  }
  return out;
}

/** CPU seconds the whole machine has spent busy, all cores (idle and iowait excluded; the
 *  virtual machine's steal time included, as it is time taken from this machine's work). */
export function machineBusySeconds(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
  return (f.reduce((a, b) => a + b, 0) - f[3] - f[4]) / CLK_TCK;
}

/** Measures the rate of a CPU-seconds counter from now until the returned call, as % of one core. */
export function cpuMeter(read: () => number): () => number {
  const c0 = read(),
    t0 = performance.now();
  return () => (100 * (read() - c0)) / ((performance.now() - t0) / 1000);
}

/** Prometheus text → sample name (with its labels) → value. */
async function scrape(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    out.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return out;
}

export interface ServerSample {
  rss_mib: number;
  heap_used_mib: number;
  /** native memory V8 knows about (Buffers, typed arrays of frames) */
  external_mib: number;
  /** libuv handles the process keeps open (sockets, timers, ...) */
  active_handles: number;
  open_fds: number;
  threads: number;
  sessions: number;
  peer_connections: number;
  engine_sessions: number | null;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

export async function sampleServer(srv: ServerHandle): Promise<ServerSample> {
  const [m, h] = await Promise.all([scrape(srv.url), srv.health()]);
  const pid = srv.proc.pid;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return {
    rss_mib: round1((m.get('process_resident_memory_bytes') ?? NaN) / MIB),
    heap_used_mib: round1((m.get('nodejs_heap_size_used_bytes') ?? NaN) / MIB),
    external_mib: round1((m.get('nodejs_external_memory_bytes') ?? NaN) / MIB),
    active_handles: m.get('nodejs_active_handles_total') ?? NaN,
    open_fds: readdirSync(`/proc/${pid}/fd`).length,
    threads: Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? NaN),
    sessions: h.sessions,
    peer_connections: h.peerConnections,
    engine_sessions: h.engineSessions,
  };
}

/** Marks where each peer's per-second lines stand, to read what came after. */
export function mark(peers: PeerHandle[]): Map<PeerHandle, number> {
  return new Map(peers.map((p) => [p, p.seconds().length]));
}

export interface WindowStats {
  /** mean returned fps of each peer over the window */
  fps: number[];
  lat_p50_ms: number;
  lat_p95_ms: number;
  /** share of the returned frames whose stamp was read (the frames the latency describes) */
  stamped_pct: number;
  /** the tier most seconds reported, and the highest degradation level seen */
  tier: string;
  degradation: number;
  /** per session, mean over its seconds: the stylizer's CPU-ms per second of video by stage (frame-path
   * stages: their mean ms per frame x frames out; `background`: low-res updates and model runs off
   * the frame path), and in all (`stylizer`, the server's own count) */
  budget: Record<string, number>;
}

/** stages of the engine's report that are no per-frame work: the last low-res update's wall time
 * (repeated on every frame; the background figure counts each update once) and the wait in the queue */
const NOT_WORK = new Set(['lowres', 'queue']);

/** Mean per-session stylizer CPU budget (ms per second of video) over the peers' seconds. */
function stylizerBudget(all: PeerLine[]): Record<string, number> {
  const acc: Record<string, number> = {};
  let n = 0;
  for (const l of all) {
    const sv = l.server;
    if (!sv?.stages || sv.cpuMsPerS === undefined) continue;
    n++;
    for (const [k, v] of Object.entries(sv.stages)) if (!NOT_WORK.has(k)) acc[k] = (acc[k] ?? 0) + v * sv.fpsOut;
    acc.background = (acc.background ?? 0) + (sv.backgroundMs ?? 0) * sv.fpsOut;
    acc.stylizer = (acc.stylizer ?? 0) + sv.cpuMsPerS;
  }
  // n seconds over all sessions: the mean of one session's second
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(acc)) out[k] = Math.round(v / Math.max(1, n));
  return out;
}

/** The peers' seconds since `from`, pooled: fps per session and round-trip percentiles. */
export function windowStats(peers: PeerHandle[], from: Map<PeerHandle, number>): WindowStats {
  const lines = peers.map((p) => p.seconds().slice(from.get(p) ?? 0));
  const all: PeerLine[] = lines.flat();
  const lat = all.flatMap((l) => l.latMs ?? []);
  const tiers = new Map<string, number>();
  for (const l of all) if (l.server) tiers.set(l.server.tier, (tiers.get(l.server.tier) ?? 0) + 1);
  return {
    fps: lines.map((ls) => (ls.length ? ls.reduce((s, l) => s + (l.received ?? 0), 0) / ls.length : 0)),
    lat_p50_ms: Math.round(percentile(lat, 50)),
    lat_p95_ms: Math.round(percentile(lat, 95)),
    stamped_pct: Math.round(
      (100 * lat.length) /
        Math.max(
          1,
          all.reduce((s, l) => s + (l.received ?? 0), 0),
        ),
    ),
    tier: [...tiers].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '?',
    degradation: Math.max(0, ...all.map((l) => l.server?.degradation ?? 0)),
    budget: stylizerBudget(all),
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits for a peer's first returned frame; the reason it has none otherwise. */
export async function connected(p: PeerHandle, timeoutMs: number): Promise<string | null> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const bad = p.lines.find((l) => l.event === 'refused' || l.event === 'offer-refused' || l.event === 'crash');
    if (bad) return `${bad.event}: ${JSON.stringify(bad.error)}`;
    if (p.proc.exitCode !== null) return `exited ${p.proc.exitCode}`;
    if (p.seconds().some((l) => (l.received ?? 0) > 0)) return null;
    await sleep(200);
  }
  return `no frame back in ${timeoutMs / 1000} s`;
}

/** Ends a peer: SIGTERM lets it close its socket and peer connection the way a user leaving does. */
export async function stopPeer(p: PeerHandle, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (p.proc.exitCode !== null || p.proc.signalCode !== null) return;
  const exited = new Promise<void>((r) => p.proc.once('exit', () => r()));
  p.kill(signal);
  await Promise.race([exited, sleep(5000)]);
  if (p.proc.exitCode === null && p.proc.signalCode === null) {
    p.kill('SIGKILL');
    await exited;
  }
}
