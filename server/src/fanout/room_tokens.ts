// Room tokens: who may publish into a room or watch it (viewers, OBS pages, call
// participants). A token is `base64url(JSON payload).base64url(HMAC-SHA256(secret, payload))`;
// the payload names the room, the role and the expiry. The secret comes from the environment
// (ROOM_SECRET), or is random per process for the embedded default (tokens then end with the
// process). Verification says exactly why a token is refused.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

export const ROOM_ROLES = ['view', 'publish'] as const;
export type RoomRole = (typeof ROOM_ROLES)[number];
export const ROOM_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

const Payload = z
  .object({
    v: z.literal(1),
    room: z.string().regex(ROOM_NAME),
    role: z.enum(ROOM_ROLES),
    /** expiry, seconds since the epoch */
    exp: z.number().int().positive(),
    /** random id (log correlation; lets a deployment keep a deny list) */
    jti: z.string().min(8).max(32),
  })
  .strict();
export type RoomClaims = z.infer<typeof Payload>;

export type TokenProblem = 'missing' | 'malformed' | 'bad_signature' | 'expired' | 'wrong_room' | 'wrong_role';

export class TokenError extends Error {
  constructor(
    readonly problem: TokenProblem,
    message: string,
  ) {
    super(message);
  }
}

const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64url');

export class RoomTokens {
  private readonly key: Buffer;

  /** `secret`: at least 16 characters; omitted, a random one (tokens die with the process). */
  constructor(
    secret?: string,
    private readonly now: () => number = Date.now,
  ) {
    if (secret !== undefined && secret.length < 16) throw new Error('ROOM_SECRET must be at least 16 characters');
    this.key = secret ? Buffer.from(secret, 'utf8') : randomBytes(32);
  }

  mint(room: string, role: RoomRole, ttlS: number): { token: string; expiresAt: number } {
    if (!ROOM_NAME.test(room))
      throw new TokenError('wrong_room', `bad room name "${room.slice(0, 70)}": letters, digits, - and _, up to 64`);
    const exp = Math.floor(this.now() / 1000) + Math.max(1, Math.floor(ttlS));
    const body = b64(
      JSON.stringify({ v: 1, room, role, exp, jti: randomBytes(9).toString('base64url') } satisfies RoomClaims),
    );
    return { token: `${body}.${this.sign(body)}`, expiresAt: exp * 1000 };
  }

  /**
   * The claims of a valid token for `room` that grants `role` (a publish token also lets its
   * holder view); throws TokenError otherwise.
   */
  verify(token: string | undefined | null, room: string, role: RoomRole): RoomClaims {
    if (!token) throw new TokenError('missing', `a ${role} token for room "${room}" is required`);
    const parts = token.split('.');
    if (parts.length !== 2 || parts[0].length > 512 || parts[1].length !== 43)
      throw new TokenError('malformed', 'malformed room token');
    const [body, sig] = parts;
    const want = Buffer.from(this.sign(body)),
      got = Buffer.from(sig);
    if (want.length !== got.length || !timingSafeEqual(want, got))
      throw new TokenError('bad_signature', 'room token signature does not verify');
    let claims: RoomClaims;
    try {
      claims = Payload.parse(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')));
    } catch {
      throw new TokenError('malformed', 'malformed room token payload');
    }
    if (claims.exp * 1000 <= this.now())
      throw new TokenError('expired', `room token expired at ${new Date(claims.exp * 1000).toISOString()}`);
    if (claims.room !== room)
      throw new TokenError('wrong_room', `this token is for room "${claims.room}", not "${room}"`);
    if (role === 'publish' && claims.role !== 'publish')
      throw new TokenError('wrong_role', 'this token may view the room but not publish into it');
    return claims;
  }

  private sign(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}
