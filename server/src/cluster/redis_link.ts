// The node's connections to Redis (ioredis): one for commands, one subscribed to the bus.
// ioredis reconnects by itself (every 0.25–2 s) and re-subscribes; this class says whether
// Redis is up and since when, so the rest can tell a Redis outage apart from a node that went away.
// Commands fail at once while Redis is down (no offline queue): a node keeps serving its own
// sockets alone meanwhile, and places new sessions on itself.
import { EventEmitter } from 'node:events';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';

export interface RedisLinkEvents {
  /** connected (again); commands work */
  up: [];
  down: [];
}

export class RedisLink extends EventEmitter<RedisLinkEvents> {
  readonly cmd: Redis;
  readonly sub: Redis;
  #upSince = 0;
  #closed = false;
  #warned = false;

  constructor(
    readonly url: string,
    name: string,
    private readonly log: Logger,
  ) {
    super();
    const common: RedisOptions = {
      connectionName: name,
      retryStrategy: (n) => Math.min(250 * n, 2000),
      // every command of ours is retried by its caller or dropped: none waits for a reconnect
      maxRetriesPerRequest: 1,
      connectTimeout: 3000,
    };
    this.cmd = new Redis(url, { ...common, enableOfflineQueue: false });
    // the subscriber queues its SUBSCRIBE until connected, and re-subscribes after a reconnect.
    // No ready check (INFO) and no client info on it: ioredis writes a SUBSCRIBE as soon as the
    // socket connects, and an INFO sent after it fails ("subscriber mode"), which dropped the
    // connection just after subscribing (a node briefly off the bus)
    this.sub = new Redis(url, {
      ...common,
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
      enableReadyCheck: false,
      disableClientInfo: true,
    });
    this.cmd.on('ready', () => {
      this.#upSince = Date.now();
      this.#warned = false;
      this.log.info({ redis: redacted(url) }, 'redis connected');
      this.emit('up');
    });
    this.cmd.on('close', () => {
      if (!this.#upSince) return;
      this.#upSince = 0;
      if (!this.#closed) this.log.warn('redis connection lost; reconnecting (live sessions go on)');
      this.emit('down');
    });
    const onError = (e: Error) => {
      if (this.#warned || this.#closed) return;
      this.#warned = true;
      this.log.warn({ err: e.message }, 'redis unreachable; retrying');
    };
    this.cmd.on('error', onError);
    this.sub.on('error', onError);
  }

  get up(): boolean {
    return this.#upSince > 0;
  }

  /** ms since the epoch when the command connection came up (0: down) */
  get upSince(): number {
    return this.#upSince;
  }

  /** Resolves once connected, or after `ms` (the node starts without Redis and joins later). */
  ready(ms: number): Promise<boolean> {
    if (this.up) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.off('up', on);
        resolve(false);
      }, ms);
      const on = () => {
        clearTimeout(t);
        resolve(true);
      };
      this.once('up', on);
    });
  }

  close(): void {
    this.#closed = true;
    this.cmd.disconnect();
    this.sub.disconnect();
  }
}

/** The URL without its password, for logs. */
export function redacted(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'redis://?';
  }
}
