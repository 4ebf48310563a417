// Signalling between nodes over Redis pub/sub: each node reads its own channel; a request gets
// one reply (or fails: the node is not subscribed, i.e. gone, or it did not answer in time);
// events go one way. Everything read is checked against bus_messages.ts first: a malformed
// message is dropped with a log line (at most a few a minute) and counted, and touches no
// session. Replies are checked against the request's reply schema.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { describeZodError } from '../../../shared/protocol.js';
import {
  Envelope,
  MAX_BUS_BYTES,
  REQUESTS,
  type BusError,
  type BusEvent,
  type ReplyBody,
  type RequestBody,
  type RequestType,
} from './bus_messages.js';
import type { ClusterKeys } from './keys.js';
import type { RedisLink } from './redis_link.js';

export type CallFailure = BusError['code'] | 'unreachable' | 'timeout';

/** A request that failed: the other node's answer, or no answer at all. */
export class BusCallError extends Error {
  constructor(
    readonly code: CallFailure,
    message: string,
  ) {
    super(message);
  }
}

type Handler<T extends RequestType> = (body: RequestBody<T>, from: string) => Promise<ReplyBody<T>>;

interface Pending {
  type: RequestType;
  resolve(body: unknown): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

export interface NodeBusEvents {
  event: [BusEvent, string];
}

export class NodeBus extends EventEmitter<NodeBusEvents> {
  readonly #pending = new Map<number, Pending>();
  readonly #handlers = new Map<RequestType, (body: unknown, from: string) => Promise<unknown>>();
  #nextId = 1;
  #dropped = 0;
  #loggedAt = 0;
  #closed = false;
  readonly #onMessage = (channel: Buffer, buf: Buffer) => {
    if (channel.toString() === this.channel) this.receive(buf);
  };

  constructor(
    private readonly link: RedisLink,
    private readonly keys: ClusterKeys,
    readonly self: string,
    private readonly log: Logger,
    /** what an error thrown by a handler means to the asker */
    private readonly describe: (e: unknown) => BusError,
  ) {
    super();
  }

  private get channel(): string {
    return this.keys.bus(this.self);
  }

  /** Messages dropped as malformed since start. */
  get dropped(): number {
    return this.#dropped;
  }

  async start(): Promise<void> {
    this.link.sub.on('messageBuffer', this.#onMessage);
    await this.link.sub.subscribe(this.channel);
  }

  handle<T extends RequestType>(type: T, fn: Handler<T>): void {
    this.#handlers.set(type, (body, from) => {
      const parsed = REQUESTS[type].body.safeParse(body);
      if (!parsed.success)
        return Promise.reject(new BadBody(`${type}: ${describeZodError(parsed.error)}`, this.drop(`${type} body`)));
      return fn(parsed.data as RequestBody<T>, from);
    });
  }

  /** Asks `to`; resolves with its checked reply, or rejects with a BusCallError. */
  request<T extends RequestType>(to: string, type: T, body: RequestBody<T>, timeoutMs = 10_000): Promise<ReplyBody<T>> {
    const id = this.#nextId++;
    return new Promise<ReplyBody<T>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new BusCallError('timeout', `node ${to} did not answer ${type} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      timer.unref();
      this.#pending.set(id, {
        type,
        resolve: (b) => resolve(b as ReplyBody<T>),
        reject,
        timer,
      });
      this.publish(to, { v: 1, from: this.self, to, kind: 'req', id, type, body }).then(
        (receivers) => {
          if (receivers > 0) return;
          this.settle(id)?.reject(new BusCallError('unreachable', `node ${to} is not on the bus`));
        },
        (e: unknown) => this.settle(id)?.reject(new BusCallError('unreachable', `bus: ${(e as Error).message}`)),
      );
    });
  }

  /** A one-way message; false when it reached nobody (or Redis is down). */
  async send(to: string, event: BusEvent): Promise<boolean> {
    try {
      return (await this.publish(to, { v: 1, from: this.self, to, kind: 'event', event })) > 0;
    } catch {
      return false;
    }
  }

  private publish(to: string, m: Envelope): Promise<number> {
    return this.link.cmd.publish(this.keys.bus(to), JSON.stringify(m));
  }

  private settle(id: number): Pending | undefined {
    const p = this.#pending.get(id);
    if (!p) return undefined;
    this.#pending.delete(id);
    clearTimeout(p.timer);
    return p;
  }

  /** Counts a dropped message and logs it (a few lines a minute at most); returns the count. */
  private drop(why: string): number {
    this.#dropped++;
    const now = Date.now();
    if (now - this.#loggedAt > 10_000) {
      this.#loggedAt = now;
      this.log.warn({ why, dropped: this.#dropped }, 'dropped a malformed bus message');
    }
    return this.#dropped;
  }

  private receive(buf: Buffer): void {
    if (this.#closed) return;
    if (buf.length > MAX_BUS_BYTES) return void this.drop(`${buf.length} bytes`);
    let raw: unknown;
    try {
      raw = JSON.parse(buf.toString('utf8'));
    } catch {
      return void this.drop('not JSON');
    }
    const parsed = Envelope.safeParse(raw);
    if (!parsed.success) return void this.drop(describeZodError(parsed.error));
    const m = parsed.data;
    if (m.to !== this.self) return void this.drop(`addressed to ${m.to}`);
    switch (m.kind) {
      case 'req':
        return void this.serve(m.from, m.id, m.type, m.body);
      case 'ok': {
        const p = this.settle(m.id);
        if (!p) return; // timed out meanwhile
        const reply = REQUESTS[p.type].reply.safeParse(m.body);
        if (reply.success) p.resolve(reply.data);
        else {
          this.drop(`${p.type} reply`);
          p.reject(new BusCallError('internal', `node ${m.from}: malformed ${p.type} reply`));
        }
        return;
      }
      case 'err':
        return void this.settle(m.id)?.reject(new BusCallError(m.error.code, m.error.message));
      case 'event':
        this.emit('event', m.event, m.from);
    }
  }

  private async serve(from: string, id: number, type: RequestType, body: unknown): Promise<void> {
    const h = this.#handlers.get(type);
    let reply: Envelope;
    try {
      if (!h) throw new BadBody(`no handler for ${type}`, 0);
      reply = { v: 1, from: this.self, to: from, kind: 'ok', id, body: await h(body, from) };
    } catch (e) {
      const error: BusError =
        e instanceof BadBody ? { code: 'bad_request', message: e.message.slice(0, 500) } : this.describe(e);
      reply = { v: 1, from: this.self, to: from, kind: 'err', id, error };
    }
    await this.publish(from, reply).catch(() => {});
  }

  close(): void {
    this.#closed = true;
    this.link.sub.off('messageBuffer', this.#onMessage);
    for (const id of [...this.#pending.keys()])
      this.settle(id)?.reject(new BusCallError('unreachable', 'this node is closing'));
  }
}

class BadBody extends Error {
  constructor(
    message: string,
    readonly count: number,
  ) {
    super(message);
  }
}
