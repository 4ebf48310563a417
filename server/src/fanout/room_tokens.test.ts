// Room tokens: a minted token verifies for its room and role; forged, altered, expired,
// wrong-room and wrong-role tokens are refused with the reason.
import { describe, expect, it } from 'vitest';
import { RoomTokens, TokenError, type TokenProblem } from './room_tokens.js';

function problem(f: () => unknown): TokenProblem | 'none' {
  try {
    f();
    return 'none';
  } catch (e) {
    if (e instanceof TokenError) return e.problem;
    throw e;
  }
}

describe('RoomTokens', () => {
  let clock = 1_800_000_000_000;
  const tokens = new RoomTokens('a-test-secret-of-some-length', () => clock);

  it('verifies what it minted, for that room and role', () => {
    const { token, expiresAt } = tokens.mint('studio-1', 'view', 3600);
    expect(expiresAt).toBe(clock + 3600_000);
    expect(tokens.verify(token, 'studio-1', 'view')).toMatchObject({ room: 'studio-1', role: 'view' });
    const pub = tokens.mint('studio-1', 'publish', 60).token;
    expect(tokens.verify(pub, 'studio-1', 'view').role).toBe('publish'); // publishers may view
    expect(tokens.verify(pub, 'studio-1', 'publish').role).toBe('publish');
  });

  it('refuses missing, malformed, forged, altered, expired, wrong-room and wrong-role tokens', () => {
    const { token } = tokens.mint('studio-1', 'view', 60);
    expect(problem(() => tokens.verify(undefined, 'studio-1', 'view'))).toBe('missing');
    expect(problem(() => tokens.verify('garbage', 'studio-1', 'view'))).toBe('malformed');
    // signed with another secret
    const forged = new RoomTokens('another-secret-entirely!', () => clock).mint('studio-1', 'publish', 60).token;
    expect(problem(() => tokens.verify(forged, 'studio-1', 'publish'))).toBe('bad_signature');
    // payload changed (role view -> publish) and the old signature kept
    const [body, sig] = token.split('.');
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString());
    const altered = `${Buffer.from(JSON.stringify({ ...payload, role: 'publish' })).toString('base64url')}.${sig}`;
    expect(problem(() => tokens.verify(altered, 'studio-1', 'publish'))).toBe('bad_signature');
    expect(problem(() => tokens.verify(token, 'other-room', 'view'))).toBe('wrong_room');
    expect(problem(() => tokens.verify(token, 'studio-1', 'publish'))).toBe('wrong_role');
    clock += 61_000;
    expect(problem(() => tokens.verify(token, 'studio-1', 'view'))).toBe('expired');
  });

  it('rejects weak secrets and bad room names', () => {
    expect(() => new RoomTokens('short')).toThrow(/16 characters/);
    expect(problem(() => tokens.mint('../etc', 'view', 60))).toBe('wrong_room');
    // a random per-process secret still round-trips
    const r = new RoomTokens();
    expect(r.verify(r.mint('a', 'view', 10).token, 'a', 'view').room).toBe('a');
  });
});
