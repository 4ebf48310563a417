// Fan-out in real browsers, with each SFU (mediasoup, werift): a Chromium publisher streams
// its camera (the webcam clip) and publishes its stylized stream into a room; two OBS viewer
// pages in the same test network namespace play it through the SFU. The publisher's uplink encoder stays one
// whatever the number of viewers; a viewer without a valid token is refused; viewers that
// close are released.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openLivePage, waitForPage, watchErrors } from '../support/browser.js';
import { webcamY4m } from '../support/clips.js';
import { ROOT } from '../support/media.js';
import { NetNs } from '../support/netns.js';
import { startServer, type ServerHandle } from '../support/server_process.js';

for (const sfu of ['mediasoup', 'werift'] as const)
  describe(sfu, () => {
    const ADMIN = 'fanout-test-admin-key-0123';
    let ns: NetNs;
    let srv: ServerHandle;
    let browser: Browser;
    let publisher: Page;
    let errors: string[];

    async function mint(room: string, role: 'view' | 'publish', ttlS = 600): Promise<string> {
      const r = await fetch(`${srv.url}/api/rooms/${room}/tokens`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${ADMIN}` },
        body: JSON.stringify({ role, ttlS }),
      });
      expect(r.status).toBe(201);
      return ((await r.json()) as { token: string }).token;
    }

    async function fps(p: Page, seconds: number): Promise<number> {
      const f0 = await p.evaluate(() => window.__obs.framesPresented);
      await new Promise((r) => setTimeout(r, seconds * 1000));
      return ((await p.evaluate(() => window.__obs.framesPresented)) - f0) / seconds;
    }

    beforeAll(async () => {
      ns = NetNs.create(`fan${sfu.slice(0, 2)}`);
      srv = await startServer(ns, { ROOM_ADMIN_KEY: ADMIN, FANOUT: sfu });
      browser = await launchBrowser(ns, { y4m: webcamY4m(640, 480), origin: srv.nsUrl });
      ({ page: publisher, errors } = await openLivePage(
        browser,
        `${srv.nsUrl}/?fg=evening-glow&bg=darkest-hour&res=480p&transition=0`,
      ));
    }, 120_000);

    afterAll(async () => {
      await browser?.close().catch(() => {});
      await srv?.close();
      ns?.close();
    });

    describe(`fan-out through the ${sfu} SFU`, () => {
      it("two OBS pages play the publisher's stylized stream with one uplink encode", async () => {
        const name = await publisher.evaluate(
          async (t) => window.__restyle.publish('studio', t, 'alice'),
          await mint('studio', 'publish'),
        );
        expect(name).toBe('alice');
        const viewToken = await mint('studio', 'view');
        const viewers: Page[] = [];
        for (let k = 0; k < 2; k++) {
          // an OBS browser source sized to the stream (a page larger than its video costs this
          // 2-core machine's software compositor a quarter of a core to scale it, three pages over)
          const v = await browser.newPage({ viewport: { width: 640, height: 480 } });
          await v.goto(`${srv.nsUrl}/obs/studio?token=${encodeURIComponent(viewToken)}`);
          viewers.push(v);
        }
        for (const v of viewers)
          await waitForPage(
            v,
            'window.__obs && window.__obs.state === "live" && window.__obs.framesPresented > 20',
            45_000,
          );
        // the publisher watches itself through the SFU too; its session's return leg then pauses
        const selfViews = async () => ((await srv.health()) as { selfViews: number }).selfViews;
        for (let i = 0; i < 40 && (await selfViews()) !== 1; i++) await new Promise((r) => setTimeout(r, 250));
        expect(await selfViews()).toBe(1);
        // steady state: the server sheds load (tier, segmentation cadence) within a few seconds;
        // if the start-up (three pages opening on 2 cores) cost it resolution (degradation 4),
        // it gets it back after ~12 s without drops: give it up to 30 s to do so
        await new Promise((r) => setTimeout(r, 6000));
        // the server's own level (the page's stats arrive once a second, a step late)
        const level = async () => ((await srv.health()) as { degradation: number }).degradation;
        for (let i = 0; i < 30 && (await level()) === 4; i++) await new Promise((r) => setTimeout(r, 1000));
        // both viewers over the same 6 s
        const own0 = await publisher.evaluate(() => window.__restyle.framesPresented);
        const rates = await Promise.all(viewers.map((v) => fps(v, 6)));
        const ownFps = ((await publisher.evaluate(() => window.__restyle.framesPresented)) - own0) / 6;
        const server = await publisher.evaluate(() => window.__restyle.lastStats);
        const h = (await srv.health()) as { fanout: { sfu: string; viewers: number; publishers: number } };
        const viewerSize = () =>
          viewers[0].evaluate(() => {
            const el = document.querySelector('video')!;
            return [el.videoWidth, el.videoHeight];
          });
        // the camera's size, or half of it while the server sheds resolution (degradation 4); the
        // viewer's decoder follows a step of the server's level within a keyframe, so the size is
        // read against the server's own level until the two agree (up to 5 s)
        const expectedSize = (l: number) => (l === 4 ? [320, 240] : [640, 480]);
        let size = await viewerSize();
        let sizeLevel = await level();
        for (let i = 0; i < 20 && size.join() !== expectedSize(sizeLevel).join(); i++) {
          await new Promise((r) => setTimeout(r, 250));
          size = await viewerSize();
          sizeLevel = await level();
        }
        console.log(
          `OBS viewers: ${rates.map((r) => r.toFixed(1)).join(', ')} fps at ${size.join('x')}; the publisher's own view (through the SFU) ${ownFps.toFixed(1)} fps; health ${JSON.stringify(h.fanout)}; publisher's session: ${server?.fpsIn} fps in, ${server?.fpsOut} fps out, tier ${server?.tier}, stages ${JSON.stringify(server?.stages)}, engine p95 ${server?.engineP95}`,
        );
        const steps = srv.logs
          .filter((l) => l.includes('degradation level changed'))
          .map((l) => {
            const j = JSON.parse(l) as { time: number; from: number; to: number };
            return `${new Date(j.time).toISOString().slice(11, 19)} ${j.from}->${j.to}`;
          });
        console.log(
          `degradation steps: ${steps.join(', ') || 'none'}; measured at ${new Date().toISOString().slice(11, 19)}`,
        );
        // three Chromium tabs and the server's decode, stylizer and one encode share 2 cores: the
        // server steps down to the global tier to keep up. Measured 22-26 fps per viewer at
        // 640x480 (the camera's bitrate sized to 480p, the OBS pages to their stream); the
        // shared machine has slower phases, so CI asserts a floor that proves every viewer is
        // served at a steady rate, and the figure is printed
        for (const r of [...rates, ownFps]) expect(r).toBeGreaterThanOrEqual(12);
        expect(size).toEqual(expectedSize(sizeLevel));
        // two OBS pages and the publisher's own view
        expect(h.fanout).toMatchObject({ sfu, publishers: 1, viewers: 3 });
        // one encoder for the publisher in all: its uplink (the return leg is paused), whatever the viewers
        expect((await srv.health()) as { uplinks: number; selfViews: number }).toMatchObject({
          uplinks: 1,
          selfViews: 1,
        });
        for (const v of viewers) await v.close();
        await new Promise((r) => setTimeout(r, 1500));
        expect(((await srv.health()) as { fanout: { viewers: number } }).fanout.viewers).toBe(1);
      }, 150_000);

      it('OBS page with ?bg=transparent shows the speaker over transparent pixels where the mask says background', async () => {
        await publisher.evaluate(
          async (t) => window.__restyle.publish('studio', t, 'alice', true),
          await mint('studio', 'publish'),
        );
        // a packed (alpha) stream is no self view: the return leg runs again
        expect(((await srv.health()) as { selfViews: number }).selfViews).toBe(0);
        const v = await browser.newPage({ viewport: { width: 640, height: 480 } });
        await v.goto(
          `${srv.nsUrl}/obs/studio?bg=transparent&token=${encodeURIComponent(await mint('studio', 'view'))}`,
        );
        await waitForPage(
          v,
          'window.__obs && window.__obs.state === "live" && window.__obs.alpha && window.__obs.framesPresented > 30',
          45_000,
        );
        await new Promise((r) => setTimeout(r, 1000));
        const png = await v.screenshot({ omitBackground: true });
        const { data, info } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
        const alphaAt = (fx0: number, fy0: number, fx1: number, fy1: number) => {
          let s = 0,
            n = 0;
          for (let y = Math.floor(fy0 * info.height); y < Math.floor(fy1 * info.height); y++) {
            for (let x = Math.floor(fx0 * info.width); x < Math.floor(fx1 * info.width); x++) {
              s += data[(y * info.width + x) * 4 + 3];
              n++;
            }
          }
          return s / n;
        };
        // the webcam clip: a man in the middle, office wall in the top corners
        const speaker = alphaAt(0.42, 0.45, 0.58, 0.75),
          corners = (alphaAt(0.02, 0.05, 0.18, 0.35) + alphaAt(0.82, 0.05, 0.98, 0.35)) / 2;
        mkdirSync(join(ROOT, 'test-results'), { recursive: true });
        writeFileSync(join(ROOT, 'test-results', 'obs_transparent.png'), png);
        console.log(
          `bg=transparent screenshot ${info.width}x${info.height}: mean alpha speaker ${speaker.toFixed(0)}, wall corners ${corners.toFixed(0)} (test-results/obs_transparent.png)`,
        );
        expect(speaker).toBeGreaterThan(200);
        expect(corners).toBeLessThan(40);
        await v.close();
      }, 90_000);

      it('call room: two participants, each publishing their own looks, see each other', async () => {
        const token = await mint('call', 'publish');
        await publisher.evaluate(async (t) => window.__restyle.joinRoom('call', t), token);
        const bob = await browser.newPage();
        const bobErrors = watchErrors(bob);
        // bob comes in through an invite link, with other looks
        await bob.goto(
          `${srv.nsUrl}/?fg=blue-hour&bg=natural&res=480p&transition=0&room=call&token=${encodeURIComponent(token)}`,
        );
        const seesOther = (min: number) =>
          `window.__restyle && window.__restyle.room.participants.length === 2 && Object.values(window.__restyle.room.tiles).some((n) => n > ${min})`;
        await waitForPage(bob, seesOther(20), 60_000);
        await waitForPage(publisher, seesOther(20), 30_000);
        const [a, b] = await Promise.all([publisher, bob].map((p) => p.evaluate(() => ({ ...window.__restyle.room }))));
        console.log(`call room: alice ${JSON.stringify(a)}; bob ${JSON.stringify(b)}`);
        expect(a.participants.sort()).toEqual(b.participants.sort());
        expect(Object.keys(a.tiles)).toEqual([b.me]);
        expect(Object.keys(b.tiles)).toEqual([a.me]);
        await bob.close();
        // bob's session, uplink and viewers go with his tab
        await waitForPage(publisher, 'window.__restyle.room.participants.length === 1', 20_000);
        expect(bobErrors.filter((e) => !/WebSocket|net::ERR/.test(e))).toEqual([]);
      }, 120_000);

      it('refuses a viewer with no token, a forged one, one for another room, or an expired one', async () => {
        const v = await browser.newPage();
        await v.goto(`${srv.nsUrl}/obs/studio?token=${encodeURIComponent(await mint('elsewhere', 'view'))}`);
        await waitForPage(v, 'window.__obs && window.__obs.state === "unauthorized"', 20_000);
        expect(await v.evaluate(() => window.__obs.detail)).toMatch(/for room "elsewhere"/);
        await v.goto(`${srv.nsUrl}/obs/studio?token=eyJmb3JnZWQiOnRydWV9.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`);
        await waitForPage(v, 'window.__obs && window.__obs.state === "unauthorized"', 20_000);
        await v.goto(`${srv.nsUrl}/obs/studio`);
        await waitForPage(v, 'window.__obs && window.__obs.state === "unauthorized"', 20_000);
        const shortLived = await mint('studio', 'view', 1);
        await new Promise((r) => setTimeout(r, 1500));
        await v.goto(`${srv.nsUrl}/obs/studio?token=${encodeURIComponent(shortLived)}`);
        await waitForPage(v, 'window.__obs && window.__obs.state === "unauthorized"', 20_000);
        expect(await v.evaluate(() => window.__obs.detail)).toMatch(/expired/);
        await v.close();
        expect(errors).toEqual([]);
      }, 60_000);
    });
  });
