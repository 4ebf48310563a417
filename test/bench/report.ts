// Benchmark output: a plain table on stdout, and the same records as JSON when asked.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export type BenchRecord = Record<string, string | number | boolean | null>;

export function percentile(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.round((p / 100) * (s.length - 1))))];
}

export function table(rows: BenchRecord[], cols: string[]): string {
  const cell = (v: unknown) =>
    typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(1)) : String(v ?? '');
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padStart(widths[i])).join('  ');
  return [
    line(cols),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map((r) => line(cols.map((c) => cell(r[c])))),
  ].join('\n');
}

/** Writes records to $BENCH_JSON when set. */
export function writeJson(records: BenchRecord[]): void {
  const file = process.env.BENCH_JSON;
  if (!file) return;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(records, null, 2)}\n`);
  console.log(`wrote ${records.length} records to ${file}`);
}

export const benchSeconds = (dflt: number): number => Number(process.env.BENCH_SECONDS) || dflt;
