// `npm run bench:load -- --soak MINUTES`: one server, 2 sessions streaming at 480p for MINUTES
// with churn (every minute the oldest session leaves, alternately closing cleanly and being
// killed, and a new one joins) so per-session leaks accumulate. Every 30 s: memory split by
// holder (soak_probe.ts), handles, descriptors and threads; at the end the RSS slope after the
// warm-up and a report folder with the plot (soak_report.ts). Options (run.mjs): --soak-echo
// (sessions without the stylizer), --soak-churn SECONDS (0: never replaced), --soak-sessions N,
// --warmup MINUTES, --allocator system (glibc's defaults instead of the images' allocator
// settings, soak_settings.ts), --server-env K=V (repeatable: allocator and engine settings of
// the server under test), --label NAME, --trim (the allocator's statistics at idle and after
// close, then a malloc_trim), --force-gc SECONDS.
import { cpus, loadavg } from 'node:os';
import type { NetNs } from '../support/netns.js';
import { startPeer, type PeerHandle } from '../support/peer_process.js';
import { startServer, type ServerHandle } from '../support/server_process.js';
import { connected, mark, sleep, stopPeer, windowStats } from './load_probe.js';
import { table, writeJson, type BenchRecord } from './report.js';
import { allocatorProbe } from './soak_allocator.js';
import { IsolateFigures, sampleMemory } from './soak_probe.js';
import { SOAK_COLUMNS, soakSummary, writeSoakReport, type SoakMeta } from './soak_report.js';
import { soakServerEnv } from './soak_settings.js';

const SAMPLE_S = 30;
/** a peer that returns no frame by then counts as failed */
const CONNECT_S = 20;
const round1 = (x: number) => Math.round(x * 10) / 10;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export interface SoakOptions {
  minutes: number;
  sessions: number;
  churnS: number;
  echo: boolean;
  warmupMin: number;
  /** 'shipped': the images' allocator settings (soak_settings.ts); 'system': glibc's defaults */
  allocator: 'shipped' | 'system';
  /** explicit server settings, over the allocator's */
  serverEnv: Record<string, string>;
  label: string;
  trim: boolean;
  /** a full GC in the server's main thread this often (0: never; a bisection step) */
  forceGcS: number;
}

/** The soak's options from the environment run.mjs sets. */
export function soakOptions(env = process.env): SoakOptions {
  const serverEnv = env.BENCH_SERVER_ENV ? (JSON.parse(env.BENCH_SERVER_ENV) as Record<string, string>) : {};
  return {
    minutes: Number(env.BENCH_SOAK_MINUTES) || 0,
    sessions: Number(env.BENCH_SOAK_SESSIONS) || 2,
    churnS: env.BENCH_SOAK_CHURN_S !== undefined ? Number(env.BENCH_SOAK_CHURN_S) : 60,
    echo: env.BENCH_SOAK_ECHO === '1',
    warmupMin: env.BENCH_SOAK_WARMUP_MIN !== undefined ? Number(env.BENCH_SOAK_WARMUP_MIN) : 5,
    allocator: env.BENCH_SOAK_ALLOCATOR === 'system' ? 'system' : 'shipped',
    serverEnv,
    label: env.BENCH_SOAK_LABEL || (env.BENCH_SOAK_ECHO === '1' ? 'echo' : 'stylized'),
    trim: env.BENCH_SOAK_TRIM === '1',
    forceGcS: Number(env.BENCH_SOAK_FORCE_GC_S) || 0,
  };
}

/** Waits (bounded) until the server has let go of every session and peer connection. */
async function drained(srv: ServerHandle): Promise<void> {
  for (let i = 0; i < 60; i++) {
    const h = await srv.health();
    if (h.sessions === 0 && h.peerConnections === 0) return;
    await sleep(500);
  }
}

export async function runSoak(ns: NetNs, o: SoakOptions): Promise<void> {
  const isolates = new IsolateFigures();
  const settings = soakServerEnv(o.allocator, o.serverEnv);
  for (const n of settings.notes) console.warn(`soak: ${n}`);
  // the default MAX_SESSIONS (4) holds 2 live + 1 joining
  const srv = await startServer(ns, { ...settings.env, ...isolates.env(o.forceGcS) });
  const meta: SoakMeta = {
    label: o.label,
    minutes: o.minutes,
    sessions: o.sessions,
    churnS: o.churnS,
    echo: o.echo,
    warmupS: o.warmupMin * 60,
    serverEnv: { ...settings.env, ...(o.forceGcS ? { SOAK_FORCE_GC_S: String(o.forceGcS) } : {}) },
    notes: settings.notes,
    churned: [],
    failures: [],
    allocator: null,
    allocatorIdle: null,
    startedAt: new Date().toISOString(),
    machine: `${cpus().length} cores, load average ${loadavg()[0].toFixed(2)} at the start`,
  };
  const jemalloc = /jemalloc/.test(settings.env.LD_PRELOAD ?? '');
  const live: PeerHandle[] = [];
  const samples: BenchRecord[] = [];
  const t0 = Date.now();
  const elapsed = () => (Date.now() - t0) / 1000;
  const end = o.minutes * 60;
  let opened = 0;
  let from = mark(live);
  const open = async () => {
    // a peer lives its share of the run; its own limit ends it should this process die first
    const seconds = o.churnS > 0 ? o.sessions * o.churnS + 60 : end + 60;
    const p = startPeer(ns, srv.nsUrl, { seconds, label: `soak-${++opened}`, echo: o.echo });
    live.push(p);
    const why = await connected(p, CONNECT_S * 1000);
    if (why) meta.failures.push(`soak-${opened}: ${why}`);
  };
  const sample = async (phase: string) => {
    const s = await sampleMemory(srv, isolates);
    const w = windowStats(live, from);
    from = mark(live);
    const row: BenchRecord = { phase, t_s: Math.round(elapsed()), ...s, fps: live.length ? round1(mean(w.fps)) : null };
    samples.push(row);
    console.log(JSON.stringify(row));
  };
  try {
    await sleep(6000); // every thread has written its figures once
    await sample('idle');
    if (o.trim) meta.allocatorIdle = await allocatorProbe(srv, jemalloc, false);
    for (let i = 0; i < o.sessions; i++) await open();
    let nextSample = SAMPLE_S,
      nextChurn = o.churnS > 0 ? o.churnS : Infinity;
    while (elapsed() < end) {
      await sleep(Math.max(0, Math.min(nextSample, nextChurn, end) - elapsed()) * 1000);
      if (srv.proc.exitCode !== null)
        throw new Error(`server exited ${srv.proc.exitCode}:\n${srv.logs.slice(-20).join('\n')}`);
      if (elapsed() >= nextSample) {
        await sample('live');
        nextSample += SAMPLE_S;
      }
      if (elapsed() >= nextChurn && elapsed() < end) {
        // alternate a clean leave with a crashed client: both paths must release everything
        const signal = meta.churned.length % 2 ? 'SIGKILL' : 'SIGTERM';
        meta.churned.push({ t_s: Math.round(elapsed()), signal });
        await stopPeer(live.shift()!, signal);
        await open();
        nextChurn += o.churnS;
      }
    }
    await Promise.all(live.splice(0).map((p) => stopPeer(p)));
    await drained(srv);
    await sleep(10_000); // the threads' files catch up; the allocator's deferred frees settle
    await sample('closed');
    // what the isolates still hold once their garbage is collected
    await isolates.collect();
    await sleep(8000); // array buffers' memory is freed by a sweeper after the collection
    await sample('collected');
    if (o.trim) {
      meta.allocator = await allocatorProbe(srv, jemalloc, true);
      await sleep(6000);
      await sample('trimmed');
    }
  } finally {
    await Promise.all(live.map((p) => stopPeer(p)));
    await srv.close();
    isolates.close();
  }
  const summary = soakSummary(samples, meta);
  const dir = writeSoakReport(samples, meta, summary);
  console.log(
    `\n${table(samples, SOAK_COLUMNS)}\n\n${summary}\nreport: ${dir}/memory.svg (and summary.txt, samples.csv)`,
  );
  writeJson(samples.map((r) => ({ bench: 'load-soak', label: o.label, ...r })));
}
