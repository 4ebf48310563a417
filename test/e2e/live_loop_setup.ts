// One Chromium live loop for a test file: the webcam-like clip (640x480 at 30 fps) as the fake
// camera of headless Chromium, streaming to the built server inside a network namespace of the
// file's own, and the product page open and live. close() stops all of it.
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, openLivePage } from '../support/browser.js';
import { webcamY4m } from '../support/clips.js';
import { NetNs } from '../support/netns.js';
import { startServer, type ServerHandle } from '../support/server_process.js';

export interface LiveLoop {
  srv: ServerHandle;
  browser: Browser;
  page: Page;
  /** the page's console and page errors */
  errors: string[];
  close(): Promise<void>;
}

/** The page's query: both looks evening-glow, 480p, no transition, the HUD on. */
export const LIVE_QUERY = 'fg=evening-glow&bg=evening-glow&res=480p&transition=0&hud=1';

/** Starts the loop in namespace `name` (a few letters); whatever started is stopped if a step fails. */
export async function openLiveLoop(name: string, query = LIVE_QUERY): Promise<LiveLoop> {
  const y4m = webcamY4m(640, 480);
  const ns = NetNs.create(name);
  let srv: ServerHandle | undefined, browser: Browser | undefined;
  const close = async () => {
    await browser?.close().catch(() => {});
    await srv?.close();
    ns.close();
  };
  try {
    srv = await startServer(ns);
    browser = await launchBrowser(ns, { y4m, origin: srv.nsUrl });
    const { page, errors } = await openLivePage(browser, `${srv.nsUrl}/?${query}`);
    return { srv, browser, page, errors, close };
  } catch (e) {
    await close();
    throw e;
  }
}
