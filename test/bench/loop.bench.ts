// `npm run bench:loop`: glass-to-glass latency and returned fps of the live loop in headless
// Chromium, at 480p and 720p, for (a) a plain echo through the same server (decode, re-encode,
// no stylizer) and (b) the stylized loop. The page's source=stamp camera paints the frame
// time as black/white blocks; the page decodes it from the returned video (client/src/stamp_source.ts).
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, it } from 'vitest';
import { launchBrowser, waitForPage } from '../support/browser.js';
import { NetNs } from '../support/netns.js';
import { startServer, type ServerHandle } from '../support/server_process.js';
import { benchSeconds, percentile, table, writeJson, type BenchRecord } from './report.js';

let ns: NetNs;
let srv: ServerHandle;
let browser: Browser;

beforeAll(async () => {
  ns = NetNs.create('bloop');
  srv = await startServer(ns);
  browser = await launchBrowser(ns, { origin: srv.nsUrl });
});

afterAll(async () => {
  await browser?.close().catch(() => {});
  await srv?.close();
  ns?.close();
});

async function measure(res: '480p' | '720p', echo: boolean, seconds: number): Promise<BenchRecord> {
  const page = await browser.newPage();
  try {
    await page.goto(
      `${srv.nsUrl}/?source=stamp&res=${res}&echo=${echo ? 1 : 0}&fg=evening-glow&bg=darkest-hour&transition=0`,
    );
    await waitForPage(page, 'window.__restyle.status === "live" && window.__restyle.framesPresented > 60', 90_000);
    await page.waitForTimeout(3000); // let the bitrate ramp up
    await page.evaluate(() => {
      window.__restyle.latencies.length = 0;
    });
    const f0 = await page.evaluate(() => window.__restyle.framesPresented);
    const t0 = Date.now();
    await page.waitForTimeout(seconds * 1000);
    const { f1, lat, stats } = await page.evaluate(() => ({
      f1: window.__restyle.framesPresented,
      lat: [...window.__restyle.latencies],
      stats: window.__restyle.lastStats,
    }));
    const fps = (f1 - f0) / ((Date.now() - t0) / 1000);
    return {
      mode: echo ? 'echo' : 'stylized',
      resolution: res,
      fps: Math.round(fps * 10) / 10,
      latency_p50_ms: Math.round(percentile(lat, 50)),
      latency_p95_ms: Math.round(percentile(lat, 95)),
      stamps_read: lat.length,
      tier: echo ? '-' : (stats?.tier ?? '?'),
      engine_p95_ms: echo ? null : (stats?.engineP95 ?? null),
    };
  } finally {
    await page.close();
    for (let i = 0; i < 40 && (await srv.health()).sessions > 0; i++) await new Promise((r) => setTimeout(r, 250));
  }
}

it('live loop: echo vs stylized, 480p and 720p', async () => {
  const seconds = benchSeconds(10);
  const rows: BenchRecord[] = [];
  for (const res of ['480p', '720p'] as const) {
    for (const echo of [true, false]) {
      const r = await measure(res, echo, seconds);
      console.log(JSON.stringify(r));
      rows.push(r);
    }
  }
  console.log(
    `\nlive loop in headless Chromium, ${seconds} s per run (round trip = camera frame painted -> returned frame presented)\n` +
      table(rows, [
        'mode',
        'resolution',
        'fps',
        'latency_p50_ms',
        'latency_p95_ms',
        'stamps_read',
        'tier',
        'engine_p95_ms',
      ]),
  );
  writeJson(rows.map((r) => ({ bench: 'loop', ...r })));
});
