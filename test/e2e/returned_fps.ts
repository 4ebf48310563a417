// The returned stream's frame rate over a window, two ways: frames the page's decoder
// produced (getStats' framesDecoded, which the page samples once a second: what the server
// sent and arrived), and frames the remote video presented (requestVideoFrameCallback).
// Headless Chromium's software renderer on 2 shared cores presents fewer than it decodes: it
// drops remote frames that miss their display time (photoreal loop: 27-29 fps decoded, 19-23
// shown, while the local camera preview shows 29-30); the decoded rate is the stream's.
import type { Page } from 'playwright-core';
import { waitForPage } from '../support/browser.js';

export interface ReturnedFps {
  decoded: number;
  shown: number;
}

const read = (page: Page) =>
  page.evaluate(() => ({ decoded: window.__restyle.decoded, presented: window.__restyle.framesPresented }));

/** The returned stream's decoded and presented frames per second over about `ms`. */
export async function returnedFps(page: Page, ms: number): Promise<ReturnedFps> {
  const a = await read(page);
  const t0 = Date.now();
  await page.waitForTimeout(ms);
  const shown = ((await read(page)).presented - a.presented) / ((Date.now() - t0) / 1000);
  const from = a.decoded?.atMs ?? 0;
  // a getStats sample taken at least 95 % of the window after the first one
  await waitForPage(page, `window.__restyle.decoded && window.__restyle.decoded.atMs >= ${from + 0.95 * ms}`, 5000);
  const b = (await read(page)).decoded!;
  const decoded = a.decoded ? (b.frames - a.decoded.frames) / ((b.atMs - a.decoded.atMs) / 1000) : 0;
  return { decoded, shown };
}
