// What the page's returned stream (#remote) shows, measured in Chromium from presented frames
// (requestVideoFrameCallback, drawn at 64x48): mean colours, and the trace of a look change.
// (Browser-side code, type-checked with the DOM by tsconfig.check.json, not part of the server build.)
import type { Page } from 'playwright-core';

export type Rgb = [number, number, number];
export const rgbDistance = (a: Rgb, b: Rgb): number => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

/** Mean RGB of a video element's frames, averaged over `frames` presented frames. */
export function meanColour(p: Page, selector: string, frames = 10): Promise<Rgb> {
  return p.evaluate(
    async ({ selector, frames }) => {
      const v = document.querySelector(selector) as HTMLVideoElement;
      const c = document.createElement('canvas');
      c.width = 64;
      c.height = 48;
      const ctx = c.getContext('2d', { willReadFrequently: true })!;
      const acc = [0, 0, 0];
      for (let k = 0; k < frames; k++) {
        await new Promise<void>((r) => v.requestVideoFrameCallback(() => r()));
        ctx.drawImage(v, 0, 0, 64, 48);
        const d = ctx.getImageData(0, 0, 64, 48).data;
        for (let i = 0; i < d.length; i += 4) for (let ch = 0; ch < 3; ch++) acc[ch] += d[i + ch];
      }
      return acc.map((x) => x / (frames * 64 * 48)) as [number, number, number];
    },
    { selector, frames },
  );
}

export interface ColourTrace {
  /** when setStyle was called (the page's performance.now()) */
  t0: number;
  /** every presented frame: its presentation time and mean RGB */
  frames: { t: number; m: Rgb }[];
}

/** Records every presented frame of #remote for `leadMs`, sets the looks `fg`, `bg` with no transition, records 2 s more. */
export function traceLookChange(page: Page, fg: string, bg: string, leadMs: number): Promise<ColourTrace> {
  return page.evaluate(
    async ({ fg, bg, leadMs }) => {
      const v = document.querySelector('#remote') as HTMLVideoElement;
      const c = document.createElement('canvas');
      c.width = 64;
      c.height = 48;
      const ctx = c.getContext('2d', { willReadFrequently: true })!;
      const out: { t: number; m: [number, number, number] }[] = [];
      let done = false;
      const onFrame = (now: number) => {
        ctx.drawImage(v, 0, 0, 64, 48);
        const d = ctx.getImageData(0, 0, 64, 48).data,
          m: [number, number, number] = [0, 0, 0];
        for (let i = 0; i < d.length; i += 4) for (let ch = 0; ch < 3; ch++) m[ch] += d[i + ch] / (64 * 48);
        out.push({ t: now, m });
        if (!done) v.requestVideoFrameCallback(onFrame);
      };
      v.requestVideoFrameCallback(onFrame);
      await new Promise((r) => setTimeout(r, leadMs));
      const t0 = performance.now();
      await window.__restyle.setStyle(fg, bg, 0);
      await new Promise((r) => setTimeout(r, 2000));
      done = true;
      return { t0, frames: out };
    },
    { fg, bg, leadMs },
  );
}

/** Mean RGB of `frames`. */
export function meanOf(frames: readonly { m: Rgb }[]): Rgb {
  return [0, 1, 2].map((c) => frames.reduce((s, f) => s + f.m[c], 0) / frames.length) as Rgb;
}

/**
 * Where a look change settled (the trace's last 10 frames), how far it moved from `before`,
 * and the ms from setStyle to the first frame that moved more than half of that (null: none).
 */
export function lookChange(trace: ColourTrace, before: Rgb): { settled: Rgb; jump: number; latency: number | null } {
  const settled = meanOf(trace.frames.slice(-10));
  const jump = rgbDistance(settled, before);
  const first = trace.frames.find((f) => f.t > trace.t0 && rgbDistance(f.m, before) > 0.5 * jump);
  return { settled, jump, latency: first ? first.t - trace.t0 : null };
}
