import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { IceServers, turnCredential } from './ice_servers.js';

describe('ICE servers for clients', () => {
  it('mints coturn REST-API credentials that expire after the TTL', () => {
    const now = Date.UTC(2026, 10, 23, 12, 0, 0);
    const c = turnCredential('s3cret-s3cret-s3cret', 'sock/1 2', 600, now);
    expect(c.username).toBe(`${now / 1000 + 600}:sock_1_2`);
    // what coturn computes from its static-auth-secret for that username
    expect(c.credential).toBe(createHmac('sha1', 's3cret-s3cret-s3cret').update(c.username).digest('base64'));
  });

  it('gives STUN URLs as they are and TURN URLs with per-client credentials', () => {
    const ice = new IceServers({
      urls: ['stun:stun.example.org:3478', 'turn:turn.example.org:3478?transport=udp', 'turns:turn.example.org:5349'],
      turnSecret: 'x'.repeat(20),
      turnTtlS: 300,
    });
    const a = ice.forClient('alice'),
      b = ice.forClient('bob');
    expect(a[0]).toEqual({ urls: 'stun:stun.example.org:3478' });
    expect(a[1].urls).toEqual(['turn:turn.example.org:3478?transport=udp', 'turns:turn.example.org:5349']);
    expect(a[1].username).toMatch(/^\d+:alice$/);
    expect(a[1].credential).not.toBe(b[1].credential);
  });

  it('falls back to the static TURN credentials without a secret, and to none without TURN', () => {
    expect(
      new IceServers({
        urls: ['turn:t:3478'],
        turnSecret: null,
        turnTtlS: 60,
        staticUser: 'u',
        staticCredential: 'p',
      }).forClient('x'),
    ).toEqual([{ urls: ['turn:t:3478'], username: 'u', credential: 'p' }]);
    expect(new IceServers({ urls: [], turnSecret: 'x'.repeat(20), turnTtlS: 60 }).forClient('x')).toEqual([]);
  });
});
