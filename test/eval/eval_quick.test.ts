// `npm run eval -- --quick`, in-process into a temporary folder: the report and the JSON are
// written and their records are sane.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { EvalRecord } from './evaluate.js';
import { parseArgs, runEval } from './run_eval.js';

const out = mkdtempSync(join(tmpdir(), 'restyle-eval-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

it('the quick evaluation writes a report and sane records in under 60 s', async () => {
  const t0 = Date.now();
  await runEval(parseArgs(['--quick', '--out', out]), () => {});
  const wallS = (Date.now() - t0) / 1000;
  console.log(`quick eval: ${wallS.toFixed(1)} s`);

  const html = readFileSync(join(out, 'index.html'), 'utf8');
  expect(html).toContain('<table');
  expect(html).toContain('<svg');
  for (const src of html.matchAll(/src="(img\/[^"]+)"/g)) expect(existsSync(join(out, src[1]))).toBe(true);

  const json = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as {
    records: EvalRecord[];
    speed: { ms_per_frame: number }[];
  };
  const clips = new Set(json.records.map((r) => r.clip));
  expect(clips.size).toBeGreaterThanOrEqual(2);
  expect(
    json.records.some((r) => r.clip_kind === 'synthetic') && json.records.some((r) => r.clip_kind === 'real'),
  ).toBe(true);
  for (const clip of clips) {
    const rs = json.records.filter((r) => r.clip === clip);
    const systems = rs.map((r) => r.system);
    for (const s of [
      'input (no stylization)',
      'neural r=1',
      'neural r=auto',
      'fast r=1',
      'fast r=auto',
      'global',
      'ablation: no TC-AdaIN (neural r=1)',
      'baseline: per-frame enc→AdaIN→dec',
      'baseline: 3D LUT 33³',
      'start-up: neural r=auto, cold session',
    ])
      expect(systems).toContain(s);
    // the cold session's start-up is split from its steady state; warm runs are steady throughout
    const cold = rs.find((r) => r.system === 'start-up: neural r=auto, cold session')!;
    expect(cold.startup_frames).toBeGreaterThanOrEqual(1);
    expect(cold.warping_error_startup).not.toBeNull();
    const warm = rs.find((r) => r.system === 'neural r=auto')!;
    expect(warm.startup_frames).toBe(0);
    expect(warm.warping_error_steady).toBeCloseTo(warm.warping_error, 6);
    for (const r of rs) {
      for (const k of ['warping_error', 'tcc', 'grad_ssim', 'style_distance', 'ms_per_frame'] as const)
        expect(Number.isFinite(r[k]), `${clip} ${r.system} ${k}`).toBe(true);
      // every output changes between frames (the clips move); a stylizer an order of magnitude
      // less steady than the per-frame decoder baseline (~2e-3) would be a bug
      expect(r.warping_error, `${clip} ${r.system} warping error`).toBeGreaterThan(0);
      expect(r.warping_error, `${clip} ${r.system} warping error`).toBeLessThan(0.02);
      expect(r.tcc).toBeLessThanOrEqual(1 + 1e-9);
      expect(r.grad_ssim).toBeLessThanOrEqual(1 + 1e-9);
      expect(r.warping_error_per_frame).toHaveLength(r.frames - 1);
      if (r.mask !== 'none' && r.system !== 'input (no stylization)') expect(r.halo_px).not.toBeNull();
    }
    const input = rs.find((r) => r.system === 'input (no stylization)')!;
    expect(input.tcc).toBeCloseTo(1, 6);
    expect(input.grad_ssim).toBeCloseTo(1, 6);
    expect(input.halo_px).toBeNull();
    // stylizing moves the colours toward the styles
    const ours = rs.find((r) => r.system === 'neural r=1')!;
    expect(ours.style_distance).toBeLessThan(input.style_distance);
  }
  expect(json.speed.length).toBeGreaterThan(0);
  expect(json.speed.every((s) => s.ms_per_frame > 0)).toBe(true);
  expect(wallS).toBeLessThan(60);
}, 60_000);
