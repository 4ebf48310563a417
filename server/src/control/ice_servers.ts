// The ICE servers handed to each client (and used by the server's own peers). STUN URLs pass
// through; TURN URLs get credentials: with TURN_SECRET, short-lived ones minted per client in
// coturn's REST-API scheme (username "<expiry unix s>:<client id>", password
// base64(HMAC-SHA1(secret, username))), so no long-lived TURN password ever reaches a
// browser; without it, the static TURN_USERNAME / TURN_CREDENTIAL (a setup without coturn's
// use-auth-secret).
import { createHmac } from 'node:crypto';
import type { StartAck } from '../../../shared/protocol.js';

export type IceServer = StartAck['iceServers'][number];

export interface IceConfig {
  urls: string[];
  turnSecret: string | null;
  turnTtlS: number;
  staticUser?: string;
  staticCredential?: string;
}

export function turnCredential(
  secret: string,
  clientId: string,
  ttlS: number,
  nowMs = Date.now(),
): { username: string; credential: string } {
  const username = `${Math.floor(nowMs / 1000) + ttlS}:${clientId.replace(/[^\w.-]/g, '_').slice(0, 64)}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
}

export class IceServers {
  constructor(private readonly c: IceConfig) {}

  get hasTurn(): boolean {
    return this.c.urls.some(isTurn);
  }

  /** The list for one client: TURN entries carry credentials valid for turnTtlS. */
  forClient(clientId: string, nowMs = Date.now()): IceServer[] {
    const turn = this.c.urls.filter(isTurn);
    const out: IceServer[] = this.c.urls.filter((u) => !isTurn(u)).map((urls) => ({ urls }));
    if (!turn.length) return out;
    const cred = this.c.turnSecret
      ? turnCredential(this.c.turnSecret, clientId, this.c.turnTtlS, nowMs)
      : { username: this.c.staticUser, credential: this.c.staticCredential };
    out.push({ urls: turn, ...cred });
    return out;
  }
}

const isTurn = (u: string) => /^turns?:/.test(u);
