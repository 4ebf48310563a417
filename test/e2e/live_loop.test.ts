// The whole product loop in a real browser: headless Chromium with a fake camera (a real
// webcam-like clip, 640x480 at 30 fps) streams to the built server over WebRTC, inside a
// network namespace made for this test; the page shows the stylized stream coming back.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForPage } from '../support/browser.js';
import { lookChange, meanColour, rgbDistance as dist, traceLookChange, type Rgb } from './colour_trace.js';
import { ROOT } from '../support/media.js';
import { returnedFps } from './returned_fps.js';
import type { ServerHandle } from '../support/server_process.js';
import { openLiveLoop, type LiveLoop } from './live_loop_setup.js';

let loop: LiveLoop;
let srv: ServerHandle;
let page: Page;
let errors: string[];

async function styleMean(id: string): Promise<Rgb> {
  const { data } = await sharp(readFileSync(join(ROOT, 'server', 'assets', 'styles', `${id}.jpg`)))
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const m: Rgb = [0, 0, 0];
  for (let i = 0; i < data.length; i += 3) for (let c = 0; c < 3; c++) m[c] += data[i + c];
  return m.map((v) => v / (data.length / 3)) as Rgb;
}

beforeAll(async () => {
  loop = await openLiveLoop('loop');
  ({ srv, page, errors } = loop);
}, 120_000);

afterAll(async () => {
  await loop?.close();
});

describe('live loop in Chromium', () => {
  it('returns the stream at >= 20 fps at 640x480 (or half of it at degradation 4), decoded by the page, over 10 s', async () => {
    // the server fits its tier and segmentation cadence to the machine in the first seconds
    await page.waitForTimeout(4000);
    const { decoded: fps, shown } = await returnedFps(page, 10_000);
    const size = await page.evaluate(() => {
      const v = document.querySelector('#remote') as HTMLVideoElement;
      return [v.videoWidth, v.videoHeight];
    });
    const stats = await page.evaluate(() => window.__restyle.lastStats);
    console.log(
      `returned stream: ${fps.toFixed(1)} fps decoded, ${shown.toFixed(1)} shown at ${size.join('x')}; server: ${JSON.stringify(stats)}`,
    );
    // the camera's size, or exactly half of it when the server had to shed resolution (its
    // last load-shedding step, degradation 4: this machine's speed varies about 2x over time)
    expect(size).toEqual(stats?.degradation === 4 ? [320, 240] : [640, 480]);
    // the rate the stream arrives at, as the page's decoder counts it (returned_fps.ts: the
    // headless browser shows fewer on these 2 shared cores)
    expect(fps).toBeGreaterThanOrEqual(20);
    // and the page shows it: at least half of the decoded frames
    expect(shown).toBeGreaterThanOrEqual(fps / 2);
  }, 40_000);

  it('moves the colours toward the chosen style', async () => {
    const style = await styleMean('evening-glow');
    const local = await meanColour(page, '#local');
    const remote = await meanColour(page, '#remote');
    console.log(
      `mean RGB: style ${style.map(Math.round)}, camera ${local.map(Math.round)}, returned ${remote.map(Math.round)}`,
    );
    expect(dist(remote, style)).toBeLessThan(0.6 * dist(local, style));
  }, 30_000);

  it('shows a style swap in the returned stream within 500 ms', async () => {
    const target = await styleMean('blue-hour');
    const before = await meanColour(page, '#remote', 15);
    // record every presented frame's mean colour, swap the style, keep recording 2 s
    const trace = await traceLookChange(page, 'blue-hour', 'blue-hour', 300);
    const { settled, jump, latency } = lookChange(trace, before);
    console.log(
      `swap: before ${before.map(Math.round)} -> settled ${settled.map(Math.round)} (blue-hour mean ${target.map(Math.round)}), change ${jump.toFixed(1)}`,
    );
    expect(jump).toBeGreaterThan(15);
    expect(dist(settled, target)).toBeLessThan(dist(before, target));
    expect(latency).not.toBeNull();
    console.log(`first changed frame presented ${latency!.toFixed(0)} ms after setStyle`);
    expect(latency).toBeLessThanOrEqual(500);
  }, 30_000);

  it('segments the speaker live: the mask view tints the background, a look mode applies', async () => {
    const green = (m: Rgb) => m[1] - (m[0] + m[2]) / 2;
    const before = await meanColour(page, '#remote', 10);
    await page.evaluate(() => window.__restyle.setOptions({ showMask: true }));
    await waitForPage(page, 'window.__restyle.lastStats && window.__restyle.lastStats.showMask === true', 10_000);
    await new Promise((r) => setTimeout(r, 500));
    const tinted = await meanColour(page, '#remote', 10);
    const stats = await page.evaluate(() => window.__restyle.lastStats!);
    console.log(
      `mask view: green excess ${green(before).toFixed(1)} -> ${green(tinted).toFixed(1)}; mask ${stats.mask}, segment ${stats.stages.segment} ms, enhance ${stats.stages.enhance} ms`,
    );
    expect(['live', 'reused']).toContain(stats.mask);
    // the background (most of this frame: the office wall) turns green, the speaker does not
    expect(green(tinted) - green(before)).toBeGreaterThan(15);
    await page.evaluate(() => window.__restyle.setOptions({ showMask: false, maskMode: 'background-only' }));
    await waitForPage(
      page,
      'window.__restyle.lastStats && window.__restyle.lastStats.maskMode === "background-only" && !window.__restyle.lastStats.showMask',
      10_000,
    );
    expect(errors).toEqual([]);
  }, 40_000);

  it('frees the session and its peer connection when the tab closes', async () => {
    const h0 = await srv.health();
    expect(h0.sessions).toBe(1);
    expect(h0.peerConnections).toBe(1);
    await page.close();
    const end = Date.now() + 15_000;
    let h = h0;
    while (Date.now() < end) {
      h = await srv.health();
      if (h.sessions === 0 && h.peerConnections === 0 && h.engineSessions === 0) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(h.sessions).toBe(0);
    expect(h.peerConnections).toBe(0);
    expect(h.engineSessions).toBe(0);
    // page errors only: a network change seen by the browser is the sandbox, not the page
    expect(errors.filter((e) => !/favicon|ERR_NETWORK_CHANGED/.test(e))).toEqual([]);
  }, 30_000);
});
