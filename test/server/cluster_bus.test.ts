// The cluster's Redis layer against a real redis-server (127.0.0.1, a free port): the bus
// between two nodes (requests and checked replies, events, a node that is not there, time
// limits, malformed messages dropped and counted while the bus keeps working) and the node
// registry (nodes see each other; a node whose heartbeat stops is reported lost once; a Redis
// restart loses nobody, and everyone is back in the registry within a heartbeat).
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeError } from '../../server/src/control/client_errors.js';
import { PortError } from '../../server/src/control/session_port.js';
import { ClusterKeys } from '../../server/src/cluster/keys.js';
import { BusCallError, NodeBus } from '../../server/src/cluster/node_bus.js';
import { NodeRegistry, type NodeInfo } from '../../server/src/cluster/node_registry.js';
import { RedisLink } from '../../server/src/cluster/redis_link.js';

const log = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SID = '0b7c8f55-7e57-4a2b-9d7b-5a1f4a3c2d10';

let port = 0;
let redis: ChildProcess | null = null;
async function startRedis(): Promise<void> {
  const p = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no']);
  redis = p;
  await new Promise<void>((resolve, reject) => {
    p.stdout.on('data', (d: Buffer) => {
      if (/Ready to accept connections/.test(d.toString())) resolve();
    });
    p.once('exit', (c) => reject(new Error(`redis exited ${c}`)));
  });
}
async function stopRedis(): Promise<void> {
  const p = redis;
  redis = null;
  if (p && p.exitCode === null) await new Promise<void>((r) => (p.once('exit', () => r()), p.kill('SIGKILL')));
}

const links: RedisLink[] = [];
function link(name: string): RedisLink {
  const l = new RedisLink(`redis://127.0.0.1:${port}`, name, log);
  links.push(l);
  return l;
}

beforeAll(async () => {
  port = await new Promise<number>((r) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => r(p));
    });
  });
  await startRedis();
});
afterAll(async () => {
  for (const l of links) l.close();
  await stopRedis();
});

describe('cluster bus', () => {
  it('carries requests, checked replies and events; fails fast for an absent node; drops malformed messages', async () => {
    const keys = new ClusterKeys('t1');
    const la = link('a'),
      lb = link('b');
    await Promise.all([la.ready(5000), lb.ready(5000)]);
    const a = new NodeBus(la, keys, 'a', log, describeError);
    const b = new NodeBus(lb, keys, 'b', log, describeError);
    await Promise.all([a.start(), b.start()]);
    b.handle('session.offer', async (m) => {
      if (m.sdp.startsWith('full')) throw new PortError('server_full', 'full here');
      if (m.sdp.startsWith('hang')) return new Promise(() => {});
      if (m.sdp.startsWith('bad reply')) return { sdp: 5 } as unknown as { sdp: string };
      return { sdp: `answer to ${m.sdp}` };
    });
    const events: unknown[] = [];
    b.on('event', (ev, from) => events.push([ev.type, from]));

    expect(await a.request('b', 'session.offer', { sid: SID, sdp: 'v=0 an offer' })).toEqual({
      sdp: 'answer to v=0 an offer',
    });
    const fail = async (p: Promise<unknown>) =>
      p.then(
        () => null,
        (e: unknown) => e as BusCallError,
      );
    expect((await fail(a.request('b', 'session.offer', { sid: SID, sdp: 'full please' })))?.code).toBe('server_full');
    const t0 = Date.now();
    expect((await fail(a.request('c', 'session.offer', { sid: SID, sdp: 'v=0 an offer' })))?.code).toBe('unreachable');
    expect(Date.now() - t0).toBeLessThan(500);
    expect((await fail(a.request('b', 'session.offer', { sid: SID, sdp: 'hang on...' }, 300)))?.code).toBe('timeout');
    // a reply that does not fit its schema is refused by the asker
    expect((await fail(a.request('b', 'session.offer', { sid: SID, sdp: 'bad reply!' })))?.code).toBe('internal');
    expect(a.dropped).toBe(1);
    // a request body that does not fit: refused by the node asked
    const bad = await fail(a.request('b', 'session.offer', { sid: 'not-a-uuid', sdp: 'x' }));
    expect(bad?.code).toBe('bad_request');
    expect(await a.send('b', { type: 'session.stop', sid: SID, reason: 'test' })).toBe(true);

    // garbage on b's channel: dropped and counted, nothing else happens
    const before = b.dropped;
    for (const junk of ['nope', '{}', '[1,2]', JSON.stringify({ v: 1, from: 'a', to: 'x', kind: 'event', event: {} })])
      await la.cmd.publish(keys.bus('b'), junk);
    await la.cmd.publish(keys.bus('b'), Buffer.alloc(300_000, 0x7b));
    await sleep(300);
    expect(b.dropped - before).toBe(5);
    expect(b.dropped).toBe(6); // and the bad request body above
    expect(await a.request('b', 'session.offer', { sid: SID, sdp: 'v=0 once again' })).toEqual({
      sdp: 'answer to v=0 once again',
    });
    expect(events).toEqual([['session.stop', 'a']]);
    a.close();
    b.close();
  });
});

describe('node registry', () => {
  it('sees every node, reports a node whose heartbeat stopped, and loses nobody over a Redis restart', async () => {
    const keys = new ClusterKeys('t2');
    const entry = (id: string): NodeInfo => ({
      id,
      address: '127.0.0.1',
      state: 'ok',
      sessions: 0,
      maxSessions: 2,
      degradation: 0,
      cpu: 0,
      viewers: 0,
      pipes: 0,
      startedAt: 0,
      at: Date.now(),
    });
    const opts = { heartbeatMs: 200, ttlMs: 800 };
    const regs = ['x', 'y', 'z'].map((id) => new NodeRegistry(link(id), keys, () => entry(id), opts, log));
    const lost: string[] = [];
    regs[0].on('lost', (id) => lost.push(id));
    for (const r of regs) r.start();
    const ids = (r: NodeRegistry) =>
      r
        .nodes()
        .map((n) => n.id)
        .sort();
    for (let i = 0; i < 50 && !regs.every((r) => ids(r).length === 3); i++) await sleep(100);
    expect(ids(regs[0])).toEqual(['x', 'y', 'z']);

    // Redis restarts (every key gone): nobody is reported lost, all are back within a heartbeat or two
    await stopRedis();
    await sleep(1000);
    await startRedis();
    for (let i = 0; i < 60 && !regs.every((r) => ids(r).length === 3 && r.alive('y')); i++) await sleep(100);
    await sleep(1500);
    expect(lost).toEqual([]);
    expect(ids(regs[0])).toEqual(['x', 'y', 'z']);

    // z stops beating (hung, killed): lost once its entry lapses
    regs[2].close();
    const t0 = Date.now();
    for (let i = 0; i < 40 && !lost.length; i++) await sleep(100);
    expect(lost).toEqual(['z']);
    expect(Date.now() - t0).toBeLessThan(2500);
    expect(ids(regs[0])).toEqual(['x', 'y']);
    for (const r of regs) r.close();
  }, 30_000);
});
