// Which web pages may call the HTTP API and open a socket: a request that carries an Origin
// header (every browser request that could be cross-site) is served only when the origin is
// this server itself (the Origin's host equals the Host the browser connected to) or is in
// ALLOWED_ORIGINS ("*" allows any). Requests without an Origin (curl, OBS's own fetches,
// server-to-server) are not browser cross-site requests and pass.
import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, Response } from 'express';

export class OriginPolicy {
  private readonly any: boolean;
  private readonly allowed: Set<string>;

  constructor(allowList: string[]) {
    this.any = allowList.includes('*');
    this.allowed = new Set(allowList.filter((o) => o !== '*').map(normalize));
  }

  /** null: allowed; otherwise the reason it is not */
  check(origin: string | undefined, host: string | undefined): string | null {
    if (origin === undefined) return null;
    if (this.any) return null;
    const o = normalize(origin);
    if (this.allowed.has(o)) return null;
    let h: string;
    try {
      h = new URL(o).host;
    } catch {
      return `malformed Origin "${origin.slice(0, 80)}"`;
    }
    if (host && h === host.toLowerCase()) return null;
    return `origin ${o.slice(0, 80)} is not allowed (set ALLOWED_ORIGINS)`;
  }

  /** True when `origin` is a cross-site origin on the allow-list (it gets CORS headers). */
  crossAllowed(origin: string): boolean {
    return this.any || this.allowed.has(normalize(origin));
  }

  /** socket.io's allowRequest hook (handshake and every polling request). */
  readonly allowRequest = (req: IncomingMessage, cb: (err: string | null | undefined, ok: boolean) => void): void => {
    const why = this.check(req.headers.origin, req.headers.host);
    cb(why, why === null);
  };

  /** express middleware: 403 for a disallowed origin; CORS headers for an allowed cross-site one. */
  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    const origin = req.headers.origin;
    const why = this.check(origin, req.headers.host);
    if (why) {
      res.status(403).json({ error: 'origin_not_allowed', message: why });
      return;
    }
    if (origin && this.crossAllowed(origin)) {
      res.vary('Origin').set('Access-Control-Allow-Origin', origin);
      if (req.method === 'OPTIONS') {
        res
          .set('Access-Control-Allow-Methods', 'GET, POST')
          .set('Access-Control-Allow-Headers', 'Content-Type, Authorization')
          .status(204)
          .end();
        return;
      }
    }
    next();
  };
}

function normalize(origin: string): string {
  return origin.trim().toLowerCase().replace(/\/+$/, '');
}
