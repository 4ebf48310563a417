// Debian's redis-server for cluster tests and the cluster bench: on a simulated host's address
// (port 6379) and on a Unix socket the test process uses, no persistence (a restart loses
// every key, as the tests want). stop() kills it, start() brings it back on the same address.
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { SimHost } from './cluster_net.js';

export class RedisServer {
  #proc: ChildProcess | null = null;
  readonly socket: string;

  constructor(
    private readonly host: Pick<SimHost, 'spawn' | 'dir' | 'ip'>,
    readonly port = 6379,
  ) {
    this.socket = join(host.dir, 'redis.sock');
  }

  /** For the nodes. */
  get url(): string {
    return `redis://${this.host.ip}:${this.port}`;
  }

  async start(): Promise<void> {
    const args = ['--bind', this.host.ip, '--port', String(this.port), '--unixsocket', this.socket];
    args.push('--unixsocketperm', '777', '--save', '', '--appendonly', 'no', '--protected-mode', 'no');
    const proc = this.host.spawn('redis-server', args);
    this.#proc = proc;
    const log: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`redis did not start:\n${log.join('')}`)), 10_000);
      proc.stdout!.on('data', (d: Buffer) => {
        log.push(d.toString());
        if (/Ready to accept connections/.test(d.toString())) {
          clearTimeout(t);
          resolve();
        }
      });
      proc.once('exit', (code) => {
        clearTimeout(t);
        reject(new Error(`redis exited with ${code}:\n${log.join('')}`));
      });
    });
  }

  /** Kills it (SIGKILL: a crash, not a shutdown) and waits for its exit. */
  async stop(): Promise<void> {
    const p = this.#proc;
    this.#proc = null;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((r) => {
      p.once('exit', () => r());
      p.kill('SIGKILL');
    });
  }

  /** A client for the test process (over the Unix socket). */
  client(): Redis {
    return new Redis({ path: this.socket, maxRetriesPerRequest: 1 });
  }
}
