// Headless Debian Chromium (playwright-core) running inside the test's network namespace,
// with a fake camera fed from a Y4M file.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { NetNs } from './netns.js';

export interface BrowserOptions {
  /** Y4M file for the fake camera; otherwise Chromium's synthetic pattern at 30 fps */
  y4m?: string;
  /** the server's origin inside the namespace: a plain-http IP origin is not a secure
   * context, and getUserMedia needs one */
  origin?: string;
}

/** `ns`: the namespace (or simulated host) Chromium runs in. */
export async function launchBrowser(ns: Pick<NetNs, 'chromiumWrapper'>, opts: BrowserOptions = {}): Promise<Browser> {
  const args = [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--use-fake-ui-for-media-stream',
    opts.y4m ? '--use-fake-device-for-media-stream' : '--use-fake-device-for-media-stream=fps=30',
    ...(opts.y4m ? [`--use-file-for-fake-video-capture=${opts.y4m}`] : []),
    ...(opts.origin ? [`--unsafely-treat-insecure-origin-as-secure=${new URL(opts.origin).origin}`] : []),
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-quic',
    '--autoplay-policy=no-user-gesture-required',
    // host candidates as plain IPs (the server's libwebrtc cannot resolve mDNS .local names)
    '--disable-features=WebRtcHideLocalIpsWithMdns',
    '--disable-background-timer-throttling',
    '--disable-renderer-backgrounding',
    '--disable-backgrounding-occluded-windows',
  ];
  return chromium.launch({
    executablePath: ns.chromiumWrapper(),
    headless: true,
    args,
    timeout: 60_000,
    env: { ...process.env, HOME: mkdtempSync(join(tmpdir(), 'rs-chrome-home-')) },
  });
}

/** Collects console errors and page errors of a page. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

/** Waits for `fn` to hold in the page; on timeout the error carries the page's state. */
export async function waitForPage(page: Page, fn: string, timeoutMs: number): Promise<void> {
  try {
    // as a function, not a string: a string predicate is eval'd in the page, which the app's
    // Content-Security-Policy (script-src 'self') forbids; a function is compiled by the
    // DevTools protocol, outside the page's CSP
    const predicate = new Function(`return (${fn});`) as () => unknown;
    await page.waitForFunction(predicate, undefined, { timeout: timeoutMs, polling: 200 });
  } catch (e) {
    const state = await page
      .evaluate(() => {
        const h = (globalThis as unknown as { __restyle?: Record<string, unknown> }).__restyle;
        return h
          ? JSON.stringify({
              status: h.status,
              sessionId: h.sessionId,
              framesPresented: h.framesPresented,
              errors: h.errors,
              lastStats: h.lastStats,
            })
          : 'no __restyle';
      })
      .catch((err: unknown) => `unreadable: ${String(err)}`);
    throw new Error(`${e instanceof Error ? e.message : String(e)}\npage state: ${state}`, { cause: e });
  }
}

/** Opens the app at `url` in a new page and waits until its stylized stream plays. */
export async function openLivePage(browser: Browser, url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  const errors = watchErrors(page);
  await page.goto(url);
  await waitForPage(
    page,
    'window.__restyle && window.__restyle.status === "live" && window.__restyle.framesPresented > 30',
    60_000,
  );
  return { page, errors };
}
