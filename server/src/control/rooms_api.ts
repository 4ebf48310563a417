// POST /api/rooms/:room/tokens {role: 'view'|'publish', ttlS?}: mints a room token (see
// fanout/room_tokens.ts). Who may mint: a holder of the admin key (Authorization: Bearer
// <ROOM_ADMIN_KEY>); a publisher of the room (Bearer <its publish token>) for view tokens,
// which is how a streamer hands out viewer and OBS links; and, when no admin key is
// configured (the embedded default), requests from this machine (loopback) only.
import { timingSafeEqual } from 'node:crypto';
import express, { type Request, type Router } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { describeZodError } from '../../../shared/protocol.js';
import { ROOM_NAME, ROOM_ROLES, TokenError, type RoomTokens } from '../fanout/room_tokens.js';
import { isLoopback } from './loopback.js';

export interface RoomsApiOptions {
  tokens: RoomTokens;
  /** admin key for minting; null: only loopback requests (and publishers, for view tokens) */
  adminKey: string | null;
  defaultTtlS: number;
  maxTtlS: number;
}

const MintBody = z
  .object({
    role: z.enum(ROOM_ROLES),
    ttlS: z.number().int().min(1).optional(),
  })
  .strict();

function bearer(req: Request): string | null {
  const m = /^Bearer\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''));
  return m ? m[1] : null;
}

function sameKey(a: string, b: string): boolean {
  const x = Buffer.from(a),
    y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A request a reverse proxy on this machine forwarded: not "from this machine" for minting. */
function proxied(req: Request): boolean {
  return (
    req.headers['x-forwarded-for'] !== undefined ||
    req.headers.forwarded !== undefined ||
    req.headers['x-real-ip'] !== undefined
  );
}

export function roomsRouter(o: RoomsApiOptions, log: Logger): Router {
  const r = express.Router();
  r.post('/api/rooms/:room/tokens', express.json({ limit: 1024 }), (req, res) => {
    const room = String(req.params.room);
    if (!ROOM_NAME.test(room))
      return void res
        .status(400)
        .json({ error: 'bad_request', message: 'room names are letters, digits, - and _, up to 64' });
    const body = MintBody.safeParse(req.body ?? {});
    if (!body.success)
      return void res.status(400).json({ error: 'bad_request', message: describeZodError(body.error) });
    const { role } = body.data;
    const ttlS = Math.min(o.maxTtlS, body.data.ttlS ?? o.defaultTtlS);
    const auth = bearer(req);
    let allowed = false;
    if (auth && o.adminKey && sameKey(auth, o.adminKey)) allowed = true;
    else if (auth && role === 'view') {
      try {
        o.tokens.verify(auth, room, 'publish');
        allowed = true;
      } catch (e) {
        if (!(e instanceof TokenError)) throw e;
        return void res.status(403).json({ error: 'forbidden', message: e.message });
      }
    } else if (!o.adminKey && isLoopback(req.socket.remoteAddress) && !proxied(req)) allowed = true;
    if (!allowed) {
      return void res.status(auth ? 403 : 401).json({
        error: auth ? 'forbidden' : 'unauthorized',
        message: o.adminKey
          ? 'send Authorization: Bearer <admin key> (or a publish token of this room, for view tokens)'
          : 'tokens are minted from this machine only, or with a publish token of this room (for view tokens)',
      });
    }
    const { token, expiresAt } = o.tokens.mint(room, role, ttlS);
    log.info({ room, role, ttlS }, 'room token minted');
    res.status(201).set('Cache-Control', 'no-store').json({ room, role, token, expiresAt });
  });
  return r;
}
