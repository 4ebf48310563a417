// The SFU is chosen at start: mediasoup when its worker starts, else the werift SFU, and
// /healthz says which. Here the worker path is made invalid, so the server must fall back.
import { afterAll, describe, expect, it } from 'vitest';
import { NetNs } from '../support/netns.js';
import { startServer, type ServerHandle } from '../support/server_process.js';

let ns: NetNs | null = null;
let srv: ServerHandle | null = null;

afterAll(async () => {
  await srv?.close();
  ns?.close();
});

describe('SFU selection', () => {
  it('falls back to the werift SFU when no mediasoup worker can start, and says so in /healthz', async () => {
    ns = NetNs.create('sfusel');
    srv = await startServer(ns, { MEDIASOUP_WORKER_BIN: '/nonexistent/mediasoup-worker' });
    const h = (await srv.health()) as { status: string; fanout: { sfu: string; viewers: number } };
    expect(h.status).toBe('ok');
    expect(h.fanout).toMatchObject({ sfu: 'werift', viewers: 0 });
    expect(srv.logs.join('\n')).toMatch(/mediasoup worker unavailable/);
  }, 60_000);
});
