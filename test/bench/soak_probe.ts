// What the soak (soak.ts) reads of the server's memory every 30 s, split by who holds it:
// - resident memory from /proc/<pid>/status: all of it (VmRSS), anonymous (RssAnon: heaps,
//   malloc, thread stacks, WebAssembly memory) and file-backed (RssFile: code and mapped models);
// - every V8 isolate's heap, external memory and array buffers, summed over the main thread and
//   the worker threads (engine threads, low-res workers) from the files the preload
//   (soak_memory_preload.cjs) writes in each thread: /metrics sees the main isolate only;
// - `native`: anonymous memory that no isolate accounts for:
//   codecs, onnxruntime, WebAssembly memory, thread stacks and whatever the allocator keeps
//   (RssAnon - heaps - memory outside the heaps the isolates account for);
// - handles (from /metrics), descriptors and threads (from /proc).
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerHandle } from '../support/server_process.js';
import { sampleServer } from './load_probe.js';

const MIB = 1024 * 1024;
/** a thread's file older than this belongs to a thread that has ended (files are rewritten every 5 s) */
const FRESH_MS = 12_000;
const round1 = (x: number) => Math.round(x * 10) / 10;

export const PRELOAD = join(import.meta.dirname, 'soak_memory_preload.cjs');

export interface MemorySample {
  rss_mib: number;
  rss_anon_mib: number;
  rss_file_mib: number;
  /** JS heap used, all isolates */
  heap_mib: number;
  /** JS heap reserved (heapTotal), all isolates */
  heap_total_mib: number;
  /** memory V8 knows about outside its heap (array buffers included), all isolates */
  external_mib: number;
  array_buffers_mib: number;
  /** anonymous resident memory no isolate accounts for */
  native_mib: number;
  isolates: number;
  /** per isolate (thread name: main, engine-0, engine-0/lowres, ...): heap used / array buffers / heap reserved, MiB */
  by_isolate: string;
  active_handles: number;
  open_fds: number;
  threads: number;
  sessions: number;
  peer_connections: number;
  engine_sessions: number | null;
}

interface ThreadFigures {
  threadId: number;
  /** 'main', 'engine-0', 'engine-0/lowres', ... (soak_memory_preload.cjs) */
  name?: string;
  at: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /** the last GC request this thread ran */
  collected: string;
}

interface IsolateSums {
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** memory outside the heap the isolates account for */
  outside: number;
  isolates: number;
  /** per thread: "<name>:<heap used>/<array buffers>" in MiB (name#threadId where two live threads share a name) */
  detail: string;
}

/** The folder the server's threads write their figures to; removed by close(). */
export class IsolateFigures {
  readonly dir = mkdtempSync(join(tmpdir(), 'restyle-soak-mem-'));

  /** The server's environment additions: the preload in every thread, writing here (gc() exposed for collect()). */
  env(forceGcS = 0): Record<string, string> {
    return {
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${PRELOAD} --expose-gc`.trim(),
      SOAK_MEMORY_DIR: this.dir,
      ...(forceGcS > 0 ? { SOAK_FORCE_GC_S: String(forceGcS) } : {}),
    };
  }

  /** Asks every thread for a full GC and waits (bounded) until each live one has run it. */
  async collect(): Promise<void> {
    const id = String(Date.now());
    writeFileSync(join(this.dir, 'gc'), id);
    for (let i = 0; i < 40; i++) {
      await new Promise((r) => setTimeout(r, 500));
      const fresh = this.#threads();
      if (fresh.length && fresh.every((t) => t.collected === id)) return;
    }
  }

  /** The figures of the threads that are alive (their file is fresh). */
  #threads(): ThreadFigures[] {
    const now = Date.now();
    const out: ThreadFigures[] = [];
    for (const f of readdirSync(this.dir)) {
      if (!f.endsWith('.json')) continue;
      try {
        const t = JSON.parse(readFileSync(join(this.dir, f), 'utf8')) as ThreadFigures;
        if (now - t.at <= FRESH_MS) out.push(t);
      } catch {
        // being replaced
      }
    }
    return out;
  }

  /** The live threads' figures, summed. */
  read(): IsolateSums {
    const sum: IsolateSums = {
      heapUsed: 0,
      heapTotal: 0,
      external: 0,
      arrayBuffers: 0,
      outside: 0,
      isolates: 0,
      detail: '',
    };
    const threads = this.#threads().sort((a, b) => a.threadId - b.threadId);
    for (const t of threads) {
      sum.heapUsed += t.heapUsed;
      sum.heapTotal += t.heapTotal;
      sum.external += t.external;
      sum.arrayBuffers += t.arrayBuffers;
      // array buffers are meant to be part of `external`, but ones a native addon allocates
      // itself can exceed it: the larger of the two is what the isolate accounts for
      sum.outside += Math.max(t.external, t.arrayBuffers);
      sum.isolates++;
    }
    const label = (t: ThreadFigures) => t.name ?? `thread-${t.threadId}`;
    // a respawned thread's predecessor stays fresh for a few seconds under the same name
    const shared = (t: ThreadFigures) => threads.some((o) => o !== t && label(o) === label(t));
    sum.detail = threads
      .map((t) => {
        const name = shared(t) ? `${label(t)}#${t.threadId}` : label(t);
        return `${name}:${round1(t.heapUsed / MIB)}/${round1(t.arrayBuffers / MIB)}/${round1(t.heapTotal / MIB)}`;
      })
      .join(' ');
    return sum;
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** kB fields of /proc/<pid>/status (VmRSS, RssAnon, RssFile, ...), in MiB. */
function statusMib(pid: number | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of readFileSync(`/proc/${pid}/status`, 'utf8').matchAll(/^(\w+):\s+(\d+) kB$/gm))
    out[m[1]] = Number(m[2]) / 1024;
  return out;
}

export async function sampleMemory(srv: ServerHandle, isolates: IsolateFigures): Promise<MemorySample> {
  const s = await sampleServer(srv);
  const st = statusMib(srv.proc.pid);
  const v8 = isolates.read();
  const anon = st.RssAnon ?? NaN;
  return {
    rss_mib: round1(st.VmRSS ?? NaN),
    rss_anon_mib: round1(anon),
    rss_file_mib: round1(st.RssFile ?? NaN),
    heap_mib: round1(v8.heapUsed / MIB),
    heap_total_mib: round1(v8.heapTotal / MIB),
    external_mib: round1(v8.external / MIB),
    array_buffers_mib: round1(v8.arrayBuffers / MIB),
    native_mib: round1(anon - (v8.heapTotal + v8.outside) / MIB),
    isolates: v8.isolates,
    by_isolate: v8.detail,
    active_handles: s.active_handles,
    open_fds: s.open_fds,
    threads: s.threads,
    sessions: s.sessions,
    peer_connections: s.peer_connections,
    engine_sessions: s.engine_sessions,
  };
}
