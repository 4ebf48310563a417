// The soak's plot as a self-contained SVG (no plotting dependency): memory in MiB over the run
// (RSS, its anonymous part, what no V8 isolate accounts for, JS heaps, external memory, array
// buffers) with the warm-up shaded, the session replacements ticked and the RSS fit after the
// warm-up drawn; below it the handles, descriptors and threads.
import type { BenchRecord } from './report.js';

export interface PlotInput {
  title: string;
  samples: BenchRecord[];
  warmupS: number;
  /** seconds into the run at which a session was replaced */
  churnAt: number[];
  /** RSS fit after the warm-up: MiB at t = warmupS and MiB per second */
  fit: { at0: number; perS: number; endS: number } | null;
}

const W = 960,
  LEFT = 64,
  RIGHT = 170,
  TOP = 40;
const MEM_H = 320,
  GAP = 46,
  CNT_H = 130;
const MEMORY: [string, string, string][] = [
  ['rss_mib', 'RSS', '#d62728'],
  ['rss_anon_mib', 'RSS anonymous', '#ff7f0e'],
  ['native_mib', 'native (no isolate)', '#8c564b'],
  ['heap_mib', 'JS heaps (all isolates)', '#1f77b4'],
  ['external_mib', 'external (all isolates)', '#2ca02c'],
  ['array_buffers_mib', 'array buffers', '#17becf'],
];
const COUNTS: [string, string, string][] = [
  ['active_handles', 'active handles', '#9467bd'],
  ['open_fds', 'open descriptors', '#7f7f7f'],
  ['threads', 'threads', '#bcbd22'],
];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** Round axis steps: 1, 2 or 5 times a power of ten, about `n` of them over `span`. */
function step(span: number, n: number): number {
  const raw = span / n,
    p = 10 ** Math.floor(Math.log10(raw || 1));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
}

function panel(
  samples: BenchRecord[],
  series: [string, string, string][],
  top: number,
  height: number,
  tMax: number,
  unit: string,
): { svg: string[]; y: (v: number) => number } {
  const values = samples.flatMap((s) => series.map(([k]) => s[k])).filter((v): v is number => typeof v === 'number');
  const vMax = Math.max(1, ...values) * 1.05;
  const yStep = step(vMax, 5);
  const top1 = Math.ceil(vMax / yStep) * yStep;
  const x = (t: number) => LEFT + (t / tMax) * (W - LEFT - RIGHT);
  const y = (v: number) => top + height - (v / top1) * height;
  const svg: string[] = [];
  for (let v = 0; v <= top1 + 1e-9; v += yStep) {
    svg.push(`<line x1="${LEFT}" x2="${W - RIGHT}" y1="${y(v)}" y2="${y(v)}" stroke="#e4e4e4"/>`);
    svg.push(`<text x="${LEFT - 6}" y="${y(v) + 4}" text-anchor="end">${+v.toFixed(6)}</text>`);
  }
  svg.push(`<text x="${LEFT - 48}" y="${top - 10}">${esc(unit)}</text>`);
  series.forEach(([key, label, colour], i) => {
    const pts = samples
      .filter((s) => typeof s[key] === 'number' && typeof s.t_s === 'number')
      .map((s) => `${x(s.t_s as number).toFixed(1)},${y(s[key] as number).toFixed(1)}`);
    if (pts.length) svg.push(`<polyline fill="none" stroke="${colour}" stroke-width="1.8" points="${pts.join(' ')}"/>`);
    const ly = top + 14 + i * 18;
    svg.push(
      `<line x1="${W - RIGHT + 12}" x2="${W - RIGHT + 32}" y1="${ly - 4}" y2="${ly - 4}" stroke="${colour}" stroke-width="3"/>`,
    );
    svg.push(`<text x="${W - RIGHT + 38}" y="${ly}">${esc(label)}</text>`);
  });
  return { svg, y };
}

export function soakSvg(p: PlotInput): string {
  const tMax = Math.max(60, ...p.samples.map((s) => Number(s.t_s) || 0));
  const x = (t: number) => LEFT + (t / tMax) * (W - LEFT - RIGHT);
  const cntTop = TOP + MEM_H + GAP;
  const H = cntTop + CNT_H + 44;
  const mem = panel(p.samples, MEMORY, TOP, MEM_H, tMax, 'MiB');
  const cnt = panel(p.samples, COUNTS, cntTop, CNT_H, tMax, 'count');
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${LEFT}" y="20" font-size="13" font-weight="bold">${esc(p.title)}</text>`,
  ];
  // the warm-up, shaded in both panels, and the session replacements as ticks
  for (const [top, h] of [
    [TOP, MEM_H],
    [cntTop, CNT_H],
  ]) {
    out.push(`<rect x="${LEFT}" y="${top}" width="${x(p.warmupS) - LEFT}" height="${h}" fill="#f3f3f3"/>`);
    for (const t of p.churnAt)
      out.push(`<line x1="${x(t)}" x2="${x(t)}" y1="${top + h}" y2="${top + h - 6}" stroke="#555"/>`);
  }
  out.push(`<text x="${LEFT + 4}" y="${TOP + MEM_H - 8}" fill="#777">warm-up</text>`);
  // the end: every session closed, then (when measured) a GC in every isolate and malloc_trim
  const closed = p.samples.find((s) => s.phase === 'closed');
  if (closed && typeof closed.t_s === 'number') {
    const cx = x(closed.t_s);
    out.push(`<line x1="${cx}" x2="${cx}" y1="${TOP}" y2="${cntTop + CNT_H}" stroke="#999" stroke-dasharray="2 3"/>`);
    out.push(`<text x="${cx - 4}" y="${TOP + 12}" text-anchor="end" fill="#777">all closed; then GC, trim</text>`);
  }
  out.push(...mem.svg, ...cnt.svg);
  if (p.fit) {
    const { at0, perS, endS } = p.fit;
    out.push(
      `<line x1="${x(p.warmupS)}" y1="${mem.y(at0)}" x2="${x(endS)}" y2="${mem.y(at0 + perS * (endS - p.warmupS))}" ` +
        `stroke="black" stroke-dasharray="5 3" stroke-width="1.4"/>`,
      `<text x="${W - RIGHT + 12}" y="${TOP + 14 + MEMORY.length * 18}">- - RSS fit after warm-up</text>`,
    );
  }
  const xStep = step(tMax / 60, 10) * 60;
  for (let t = 0; t <= tMax + 1e-9; t += xStep) {
    out.push(`<line x1="${x(t)}" x2="${x(t)}" y1="${cntTop + CNT_H}" y2="${cntTop + CNT_H + 4}" stroke="#333"/>`);
    out.push(`<text x="${x(t)}" y="${cntTop + CNT_H + 16}" text-anchor="middle">${+(t / 60).toFixed(2)}</text>`);
  }
  out.push(
    `<text x="${(LEFT + W - RIGHT) / 2}" y="${cntTop + CNT_H + 34}" text-anchor="middle">minutes (ticks at the bottom: a session replaced)</text>`,
    '</svg>',
  );
  return `${out.join('\n')}\n`;
}
