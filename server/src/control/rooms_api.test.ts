// Minting room tokens over HTTP: loopback-only without an admin key, the admin key when one
// is set, and a room's publish token may mint view tokens for that room only.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express from 'express';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { RoomTokens } from '../fanout/room_tokens.js';
import { roomsRouter } from './rooms_api.js';

const servers: import('node:http').Server[] = [];
async function serve(adminKey: string | null): Promise<{ url: string; tokens: RoomTokens }> {
  const tokens = new RoomTokens('rooms-api-test-secret-123');
  const app = express().use(
    roomsRouter({ tokens, adminKey, defaultTtlS: 600, maxTtlS: 3600 }, pino({ level: 'silent' })),
  );
  const srv = app.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  servers.push(srv);
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, tokens };
}

const mint = (url: string, room: string, body: unknown, auth?: string) =>
  fetch(`${url}/api/rooms/${room}/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(auth ? { Authorization: `Bearer ${auth}` } : {}) },
    body: JSON.stringify(body),
  });

afterAll(() => {
  for (const s of servers) s.close();
});

describe('POST /api/rooms/:room/tokens', () => {
  it('mints for loopback callers when no admin key is set, capped to the longest lifetime', async () => {
    const { url, tokens } = await serve(null);
    const r = await mint(url, 'studio', { role: 'publish', ttlS: 999_999 });
    expect(r.status).toBe(201);
    const j = (await r.json()) as { token: string; expiresAt: number };
    expect(tokens.verify(j.token, 'studio', 'publish').role).toBe('publish');
    expect(j.expiresAt - Date.now()).toBeLessThanOrEqual(3600_000 + 1000);
    expect((await mint(url, 'studio', { role: 'owner' })).status).toBe(400);
    expect((await mint(url, 'bad%20room', { role: 'view' })).status).toBe(400);
    // through a reverse proxy on this machine the caller is not local
    const proxied = await fetch(`${url}/api/rooms/studio/tokens`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': '203.0.113.9' },
      body: '{"role":"publish"}',
    });
    expect(proxied.status).toBe(401);
  });

  it('needs the admin key when one is set; a publish token mints view tokens for its own room only', async () => {
    const key = 'an-admin-key-of-some-length';
    const { url, tokens } = await serve(key);
    const none = await mint(url, 'studio', { role: 'view' });
    expect(none.status).toBe(401);
    expect((await mint(url, 'studio', { role: 'publish' }, 'wrong-key-wrong-key-wrong')).status).toBe(403);
    const pub = await mint(url, 'studio', { role: 'publish' }, key);
    expect(pub.status).toBe(201);
    const pubToken = ((await pub.json()) as { token: string }).token;
    const view = await mint(url, 'studio', { role: 'view', ttlS: 120 }, pubToken);
    expect(view.status).toBe(201);
    expect(tokens.verify(((await view.json()) as { token: string }).token, 'studio', 'view').role).toBe('view');
    // not for another room, and a publisher cannot mint more publish tokens
    const other = await mint(url, 'other', { role: 'view' }, pubToken);
    expect(other.status).toBe(403);
    expect(((await other.json()) as { message: string }).message).toMatch(/for room "studio"/);
    expect((await mint(url, 'studio', { role: 'publish' }, pubToken)).status).toBe(403);
  });
});
