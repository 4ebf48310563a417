// The soak's report: the summary printed at the end (the RSS slope after the warm-up, and
// the slope of each part of memory over the same window), and a report folder with the plot
// (memory.svg), the samples (samples.csv, samples.json) and the summary (summary.txt).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ROOT } from '../support/media.js';
import type { BenchRecord } from './report.js';
import type { AllocatorReport } from './soak_allocator.js';
import { soakSvg } from './soak_plot.js';

/** What the run was, for the summary's header and the report folder. */
export interface SoakMeta {
  label: string;
  minutes: number;
  sessions: number;
  /** seconds between session replacements; 0: the sessions live the whole run */
  churnS: number;
  echo: boolean;
  warmupS: number;
  /** the settings the server ran with beyond the defaults (allocator, engine switches) */
  serverEnv: Record<string, string>;
  /** what was left out of the settings and why */
  notes: string[];
  churned: { t_s: number; signal: string }[];
  failures: string[];
  /** the allocator's statistics at idle (before any session) and once every session had closed (then trimmed) */
  allocatorIdle: AllocatorReport | null;
  allocator: AllocatorReport | null;
  startedAt: string;
  machine: string;
}

export interface Fit {
  /** MiB per 10 minutes, and its standard error */
  perTen: number;
  se: number;
  n: number;
  /** the fitted value at the warm-up's end, and the slope per second (for the plot) */
  at0: number;
  perS: number;
  endS: number;
  first: number;
  last: number;
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const signed = (x: number) => `${x >= 0 ? '+' : ''}${round1(x).toFixed(1)}`;
const SLOPED = ['rss_mib', 'rss_anon_mib', 'native_mib', 'heap_mib', 'external_mib', 'array_buffers_mib'];
const COLUMNS = [
  'phase',
  't_s',
  'rss_mib',
  'rss_anon_mib',
  'rss_file_mib',
  'native_mib',
  'heap_mib',
  'heap_total_mib',
  'external_mib',
  'array_buffers_mib',
  'isolates',
  'active_handles',
  'open_fds',
  'threads',
  'sessions',
  'peer_connections',
  'engine_sessions',
  'fps',
];
export { COLUMNS as SOAK_COLUMNS };

/** Least-squares line of `key` over the live samples after the warm-up (and up to `untilS`). */
export function fitAfter(samples: BenchRecord[], key: string, warmupS: number, untilS = Infinity): Fit | null {
  const pts = samples
    .filter(
      (s) =>
        s.phase === 'live' && (s.t_s as number) >= warmupS && (s.t_s as number) <= untilS && typeof s[key] === 'number',
    )
    .map((s) => [s.t_s as number, s[key] as number]);
  const n = pts.length;
  if (n < 3) return null;
  const mx = pts.reduce((a, p) => a + p[0], 0) / n,
    my = pts.reduce((a, p) => a + p[1], 0) / n;
  let sxy = 0,
    sxx = 0;
  for (const [x, y] of pts) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  const perS = sxy / sxx;
  const res = pts.reduce((a, [x, y]) => a + (y - (my + perS * (x - mx))) ** 2, 0);
  const se = Math.sqrt(res / (n - 2) / sxx);
  return {
    perTen: perS * 600,
    se: se * 600,
    n,
    at0: my + perS * (warmupS - mx),
    perS,
    endS: pts[n - 1][0],
    first: pts[0][1],
    last: pts[n - 1][1],
  };
}

/** the window of the windowed RSS slopes of a long soak (the acceptance's 30-minute soak) */
const WINDOW_S = 30 * 60;

/**
 * A soak longer than 30 minutes: the RSS slope over each 30 minutes of it, the first from the
 * warm-up's end (what a 30-minute soak measures), so a long run shows whether the growth levels
 * off. Empty for shorter soaks.
 */
export function windowSlopes(samples: BenchRecord[], warmupS: number, endS: number): string {
  const parts: string[] = [];
  for (let b = WINDOW_S; b <= endS; b += WINDOW_S) {
    const a = Math.max(warmupS, b - WINDOW_S),
      f = fitAfter(samples, 'rss_mib', a, b);
    if (f) parts.push(`${a / 60}-${b / 60} min ${signed(f.perTen)} ± ${round1(f.se)}`);
  }
  return parts.length > 1 ? `RSS slope by 30-min window, MiB per 10 min: ${parts.join(', ')}` : '';
}

/** The acceptance reading of the RSS slope: at most 3 MiB per 10 min, or within two standard errors of flat. */
export function verdict(f: Fit | null): string {
  if (!f) return 'too short to fit after the warm-up';
  if (f.perTen <= 3) return f.perTen <= 2 * f.se ? 'flat within noise' : 'within 3 MiB per 10 min';
  return f.perTen <= 2 * f.se ? 'flat within noise (but noisy)' : 'GROWING';
}

export function soakSummary(samples: BenchRecord[], m: SoakMeta): string {
  const rss = fitAfter(samples, 'rss_mib', m.warmupS);
  const kills = m.churned.filter((c) => c.signal === 'SIGKILL').length;
  const env = Object.entries(m.serverEnv).map(([k, v]) => `${k}=${v}`);
  const live = samples.filter((s) => s.phase === 'live');
  const at = (phase: string) => samples.find((s) => s.phase === phase);
  const warm = live.find((s) => (s.t_s as number) >= m.warmupS);
  const row = (k: string) =>
    `  ${k.padEnd(18)} idle ${at('idle')?.[k] ?? '?'}, first live ${live[0]?.[k] ?? '?'}, after warm-up ${warm?.[k] ?? '?'}, ` +
    `last live ${live.at(-1)?.[k] ?? '?'}, after close ${at('closed')?.[k] ?? '?'}, after GC ${at('collected')?.[k] ?? '?'}` +
    (at('trimmed') ? `, after malloc_trim ${at('trimmed')?.[k]}` : '');
  const lines = [
    `soak "${m.label}": ${m.minutes} min, ${m.sessions} ${m.echo ? 'echo' : 'stylized'} sessions at 480p, ` +
      (m.churnS > 0
        ? `one replaced every ${m.churnS} s (${m.churned.length} replaced: ${m.churned.length - kills} closed cleanly, ${kills} killed)`
        : 'never replaced'),
    `server settings: ${env.length ? env.join(' ') : 'defaults (glibc malloc, default arenas)'}; ${m.machine}; ` +
      `returned fps per session ${round1(mean(live.map((s) => Number(s.fps) || 0)))} on average` +
      (m.notes.length ? ` (${m.notes.join('; ')})` : ''),
    rss
      ? `RSS slope after the ${m.warmupS / 60}-min warm-up: ${signed(rss.perTen)} ± ${round1(rss.se)} MiB per 10 min ` +
        `(${rss.n} samples, ${rss.first} -> ${rss.last} MiB): ${verdict(rss)}`
      : `RSS slope after the warm-up: ${verdict(rss)}`,
    ...[windowSlopes(samples, m.warmupS, m.minutes * 60)].filter(Boolean),
    `slopes after the warm-up, MiB per 10 min: ` +
      SLOPED.map((k) => `${k.replace('_mib', '')} ${signed(fitAfter(samples, k, m.warmupS)?.perTen ?? NaN)}`).join(
        ', ',
      ),
    ...['rss_mib', 'rss_anon_mib', 'native_mib', 'heap_mib', 'external_mib', 'array_buffers_mib'].map(row),
    ...['active_handles', 'open_fds', 'threads', 'isolates', 'peer_connections'].map(row),
  ];
  for (const [when, a] of [
    ['at idle', m.allocatorIdle],
    ['after close and GC', m.allocator],
  ] as const)
    if (a)
      lines.push(
        `allocator ${when} (${a.allocator}${a.arenas ? `, ${a.arenas} arenas` : ''}): ` +
          `holds ${a.system_mib ?? '?'} MiB from the kernel, ${a.in_use_mib ?? '?'} MiB of it in use`,
      );
  lines.push(`peer failures: ${m.failures.length ? m.failures.join('; ') : 'none'}`);
  return lines.join('\n');
}

/** Writes the report folder (bench-results/soak/<time>-<label>/, or $BENCH_SOAK_OUT/...); returns its path. */
export function writeSoakReport(samples: BenchRecord[], m: SoakMeta, summary: string): string {
  const base = process.env.BENCH_SOAK_OUT ? resolve(process.env.BENCH_SOAK_OUT) : join(ROOT, 'bench-results', 'soak');
  const stamp = m.startedAt.replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const dir = join(base, `${stamp}-${m.label.replace(/[^\w.-]+/g, '_')}`);
  mkdirSync(dir, { recursive: true });
  const rss = fitAfter(samples, 'rss_mib', m.warmupS);
  const title =
    `${m.label}: ${m.minutes} min, ${m.sessions} ${m.echo ? 'echo' : 'stylized'} sessions, ` +
    `${m.churnS ? `one replaced every ${m.churnS} s` : 'never replaced'}; RSS after warm-up ` +
    (rss ? `${signed(rss.perTen)} ± ${round1(rss.se)} MiB / 10 min` : '?');
  writeFileSync(
    join(dir, 'memory.svg'),
    soakSvg({
      title,
      samples,
      warmupS: m.warmupS,
      churnAt: m.churned.map((c) => c.t_s),
      fit: rss && { at0: rss.at0, perS: rss.perS, endS: rss.endS },
    }),
  );
  const csv = [COLUMNS.join(','), ...samples.map((s) => COLUMNS.map((c) => s[c] ?? '').join(','))];
  writeFileSync(join(dir, 'samples.csv'), `${csv.join('\n')}\n`);
  writeFileSync(join(dir, 'samples.json'), `${JSON.stringify({ meta: m, samples }, null, 1)}\n`);
  writeFileSync(join(dir, 'summary.txt'), `${summary}\n`);
  return dir;
}
