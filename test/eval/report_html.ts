// The static report: eval-report/index.html (opens from disk; PNGs under img/, plots as
// inline SVG) and the text table printed at the end of a run.
import type { EvalRecord } from './evaluate.js';
import type { SpeedRecord } from './speed.js';
import { FIRST_GRID_FADE_MS } from '../../server/src/engine/frame/session_engine.js';
import { STARTUP_PREFIX } from './startup.js';

export interface ClipSection {
  id: string;
  note: string;
  width: number;
  height: number;
  frames: number;
  /** strip rows: label -> image per shown frame */
  strip: { frames: number[]; rows: [string, string[]][] };
  /** the last frame of each system */
  gallery: [string, string][];
}

export interface ReportData {
  title: string;
  generated: string;
  options: Record<string, unknown>;
  wallS: number;
  records: EvalRecord[];
  speed: SpeedRecord[];
  clips: ClipSection[];
  notes: string[];
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const fmt = (v: number | null | undefined, k = 3) =>
  v === null || v === undefined || Number.isNaN(v) ? '–' : Number(v.toPrecision(k)).toString();
const avg = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
/** Mean of a figure over records, skipping those without it (null when none has it). */
function meanOf(rs: EvalRecord[], f: (r: EvalRecord) => number | null): number | null {
  const xs = rs.map(f).filter((x): x is number => x !== null);
  return xs.length ? avg(xs) : null;
}

/** Rows of cells as aligned plain text: the first `left` columns left-aligned, the rest right-aligned. */
function textGrid(rows: string[][], left = 1): string {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i < left ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ')).join('\n');
}

export const COLUMNS = [
  'warping error ×10³ ↓',
  'TCC ↑',
  'grad SSIM ↑',
  'style dist ↓ (input)',
  'halo px ↓',
  'ms/frame',
];

/** One table row of metric cells for a set of records (means over them). */
export function metricCells(rs: EvalRecord[]): string[] {
  const m = (f: (r: EvalRecord) => number | null) => meanOf(rs, f);
  return [
    fmt(m((r) => r.warping_error * 1000)),
    fmt(m((r) => r.tcc)),
    fmt(m((r) => r.grad_ssim)),
    `${fmt(m((r) => r.style_distance))} (${fmt(m((r) => r.style_distance_input))})`,
    fmt(
      m((r) => r.halo_px),
      2,
    ),
    fmt(m((r) => r.ms_per_frame)),
  ];
}

function systemsOf(records: EvalRecord[]): string[] {
  return [...new Set(records.map((r) => r.system))];
}

function table(head: string[], rows: string[][], cls = ''): string {
  return `<table class="${cls}"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c, i) => (i ? `<td>${esc(c)}</td>` : `<th>${esc(c)}</th>`)).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/** Per-system means over a group of clips (the paper's Table 3 layout). */
export function summaryRows(records: EvalRecord[]): string[][] {
  const clips = new Set(records.map((r) => r.clip)).size;
  return systemsOf(records).map((s) => {
    const rs = records.filter((r) => r.system === s);
    const which = rs.map((r) => r.clip).join(', ');
    return [rs.length < clips ? `${s} [${rs.length} of ${clips} clips: ${which}]` : s, ...metricCells(rs)];
  });
}

const PALETTE = [
  '#888',
  '#d62728',
  '#ff7f0e',
  '#1f77b4',
  '#17becf',
  '#2ca02c',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#bcbd22',
  '#7f7f7f',
  '#000',
];

/** Per-frame warping error of each system on one clip, log scale, inline SVG. */
export function warpPlot(records: EvalRecord[]): string {
  const W = 720,
    H = 260,
    L = 60,
    R = 10,
    T = 10,
    B = 30;
  const series = records.map((r) => r.warping_error_per_frame.map((v) => Math.max(v, 1e-6)));
  const all = series.flat();
  if (!all.length) return '';
  const lo = Math.floor(Math.log10(Math.min(...all))),
    hi = Math.ceil(Math.log10(Math.max(...all)));
  const n = Math.max(...series.map((s) => s.length));
  const x = (i: number) => L + ((W - L - R) * i) / Math.max(1, n - 1);
  const y = (v: number) => T + ((H - T - B) * (hi - Math.log10(v))) / Math.max(1, hi - lo);
  let g = '';
  for (let e = lo; e <= hi; e++)
    g += `<line x1="${L}" x2="${W - R}" y1="${y(10 ** e)}" y2="${y(10 ** e)}" stroke="#ddd"/><text x="${L - 4}" y="${y(10 ** e) + 4}" text-anchor="end" font-size="11">1e${e}</text>`;
  for (let i = 0; i < n; i += Math.max(1, Math.ceil(n / 10)))
    g += `<text x="${x(i)}" y="${H - 10}" text-anchor="middle" font-size="11">${i + 1}</text>`;
  const lines = series
    .map(
      (s, k) =>
        `<polyline fill="none" stroke="${PALETTE[k % PALETTE.length]}" stroke-width="${k ? 1.6 : 1}" ${k ? '' : 'stroke-dasharray="4 3"'} points="${s.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"/>`,
    )
    .join('');
  const legend = records
    .map((r, k) => `<span class="lg"><i style="background:${PALETTE[k % PALETTE.length]}"></i>${esc(r.system)}</span>`)
    .join(' ');
  return `<svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" xmlns="http://www.w3.org/2000/svg">${g}${lines}<text x="${L}" y="${H - 0}" font-size="11">frame t (error of t vs warped t−1)</text></svg><div class="legend">${legend}</div>`;
}

function speedTable(speed: SpeedRecord[]): string {
  const res = [...new Set(speed.map((s) => s.resolution))];
  const systems = [...new Set(speed.map((s) => s.system))];
  const head = ['system', ...res.flatMap((r) => [`${r} ms/frame`, `${r} fps`])];
  const rows = systems.map((s) => [
    s,
    ...res.flatMap((r) => {
      const x = speed.find((q) => q.system === s && q.resolution === r);
      return x ? [`${fmt(x.ms_per_frame)}${x.r ? ` (r≈${fmt(x.r, 2)})` : ''}`, fmt(x.fps)] : ['–', '–'];
    }),
  ]);
  const stageNames = [...new Set(speed.flatMap((s) => Object.keys(s.stages_ms)))];
  const stageRows = speed
    .filter((s) => Object.keys(s.stages_ms).length)
    .map((s) => [`${s.system} @ ${s.resolution}`, ...stageNames.map((k) => fmt(s.stages_ms[k]))]);
  return (
    table(head, rows) +
    `<details><summary>ms per stage (mean per frame; lowres.* = the asynchronous low-res update, off the frame path)</summary>${table(['system', ...stageNames], stageRows, 'small')}</details>`
  );
}

function clipHtml(c: ClipSection, records: EvalRecord[]): string {
  const rs = records.filter((r) => r.clip === c.id);
  const strip = `<table class="strip"><tr><th></th>${c.strip.frames.map((t) => `<th>frame ${t + 1}</th>`).join('')}</tr>${c.strip.rows
    .map(
      ([label, imgs]) =>
        `<tr><th>${esc(label)}</th>${imgs.map((src) => `<td><img src="${src}" loading="lazy"></td>`).join('')}</tr>`,
    )
    .join('')}</table>`;
  const gallery = `<div class="gallery">${c.gallery.map(([s, src]) => `<figure><img src="${src}" loading="lazy"><figcaption>${esc(s)}</figcaption></figure>`).join('')}</div>`;
  return `<section><h3 id="${esc(c.id)}">${esc(c.id)}</h3><p class="note">${esc(c.note)} — ${c.width}×${c.height}, ${c.frames} frames</p>
${table(
  ['system', ...COLUMNS],
  rs.map((r) => [r.system + (r.note ? ` (${r.note})` : ''), ...metricCells([r])]),
)}
<h4>warping error per frame</h4>${warpPlot(rs)}
<h4>input / ours (the default tier at r=auto) / mask / |frame difference| and warping residual (×4)</h4>${strip}
<h4>last frame, every system</h4>${gallery}</section>`;
}

export function renderReport(d: ReportData): string {
  const syn = d.records.filter((r) => r.clip_kind === 'synthetic'),
    real = d.records.filter((r) => r.clip_kind === 'real');
  const groups: [string, EvalRecord[]][] = [
    ['all clips', d.records],
    ['synthetic clips (exact flow and masks)', syn],
    ['real clips (Lucas–Kanade flow, segmenter masks)', real],
  ];
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(d.title)}</title><style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1350px}
table{border-collapse:collapse;margin:8px 0 16px}th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}
thead th{background:#f2f2f2}tbody th{text-align:left;font-weight:normal;background:#fafafa}
table.small{font-size:12px}.note{color:#555}h3{margin-top:36px;border-top:2px solid #ddd;padding-top:12px}
.strip img{width:200px;display:block}.strip td{padding:2px}.gallery{display:flex;flex-wrap:wrap;gap:8px}
.gallery figure{margin:0;width:200px}.gallery img{width:200px}.gallery figcaption{font-size:11px}
.legend{font-size:12px}.lg{margin-right:12px;white-space:nowrap}.lg i{display:inline-block;width:14px;height:3px;margin-right:4px;vertical-align:middle}
code{background:#f4f4f4;padding:0 3px}
</style></head><body>
<h1>${esc(d.title)}</h1>
<p class="note">generated ${esc(d.generated)} in ${d.wallS.toFixed(0)} s · options <code>${esc(JSON.stringify(d.options))}</code> · clips: ${d.clips.map((c) => `<a href="#${esc(c.id)}">${esc(c.id)}</a>`).join(', ')} · every number in <a href="results.json">results.json</a> · <a href="#definitions">definitions of the metrics and systems</a></p>
<h2>Quality (means over clips)</h2>
${groups
  .filter(([, rs]) => rs.length)
  .map(([name, rs]) => `<h4>${esc(name)}</h4>${table(['system', ...COLUMNS], summaryRows(rs))}`)
  .join('\n')}
<h2>Start-up and steady state</h2><p class="note">start-up rows: a cold session on the clip's first frame, paced like a camera; start-up = the frames before its first low-res update landed plus that grid's fade-in (${FIRST_GRID_FADE_MS} ms). The warm rows start steady (two updates before the clip).</p>${table(['system', ...STARTUP_COLUMNS], startupRows(d.records))}
<h2>Speed (single session, CPU)</h2>${speedTable(d.speed)}
<h2>Clips</h2>${d.clips.map((c) => clipHtml(c, d.records)).join('\n')}
<h2 id="definitions">Definitions and notes</h2><ul>${d.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>
</body></html>
`;
}

/** The main table as plain text (printed at the end of a run). */
export function textTable(records: EvalRecord[]): string {
  const rows = [['system', 'clip', 'warp×1e3', 'TCC', 'gradSSIM', 'style(in)', 'halo', 'ms/f']];
  for (const r of records) {
    rows.push([
      r.system,
      r.clip,
      fmt(r.warping_error * 1000),
      fmt(r.tcc),
      fmt(r.grad_ssim),
      `${fmt(r.style_distance)}(${fmt(r.style_distance_input)})`,
      fmt(r.halo_px, 2),
      fmt(r.ms_per_frame),
    ]);
  }
  return textGrid(rows, 2);
}

/** Per-system means as plain text. */
export function textSummary(records: EvalRecord[]): string {
  return textGrid([['system', ...COLUMNS], ...summaryRows(records)]);
}

export const STARTUP_COLUMNS = [
  'start-up frames (mean)',
  'warp×1e3 start-up',
  'warp×1e3 steady',
  'warp×1e3 input',
  'TCC start-up',
  'TCC steady',
  'start-up peak / steady peak',
  'start-up frames (max)',
];

/** Per-system means of the start-up/steady split over the clips (start-up rows, and the warm r=auto rows beside them). */
export function startupRows(records: EvalRecord[]): string[][] {
  const ids = [...new Set(records.map((r) => r.system))].filter(
    (s) => s.startsWith(STARTUP_PREFIX) || s === 'learned r=auto' || s === 'neural r=auto',
  );
  return ids.map((id) => {
    const rs = records.filter((r) => r.system === id);
    const inputs = records.filter((r) => r.system === 'input (no stylization)' && rs.some((x) => x.clip === r.clip));
    return [
      id,
      fmt(meanOf(rs, (r) => r.startup_frames)),
      fmt(meanOf(rs, (r) => (r.warping_error_startup === null ? null : r.warping_error_startup * 1000))),
      fmt(meanOf(rs, (r) => r.warping_error_steady * 1000)),
      fmt(meanOf(inputs, (r) => r.warping_error * 1000)),
      fmt(meanOf(rs, (r) => r.tcc_startup)),
      fmt(meanOf(rs, (r) => r.tcc_steady)),
      fmt(meanOf(rs, (r) => r.startup_peak_ratio)),
      rs.length ? `${Math.max(...rs.map((r) => r.startup_frames))}` : '–',
    ];
  });
}

/** The start-up/steady split as plain text (printed at the end of a run). */
export function startupText(records: EvalRecord[]): string {
  const rows = startupRows(records);
  return rows.length ? textGrid([['system', ...STARTUP_COLUMNS], ...rows]) : '';
}
